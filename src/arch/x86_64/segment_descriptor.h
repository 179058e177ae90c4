#pragma once

// GDT descriptors built from named fields (Intel SDM Vol. 3A 3.4.5,
// Figure 3-8 "Segment Descriptor"; 8.2.3, Figure 8-4 for the 64-bit TSS
// descriptor). Pure: host-tested (test/host/segment_descriptor_test.cpp).

#include <stdint.h>

#include "arch/x86_64/register_bits.h"

namespace arch {

// Type field values: Table 3-1 for code and data (S = 1), Table 3-2 for
// system descriptors (S = 0). The accessed bit (bit 0 of a code or data
// type) is set up front: the CPU would otherwise set it on the first
// segment load, a write to the GDT, which is read-only after boot.
enum class SegmentType : uint8_t {
    DataReadWriteAccessed = 0x3,
    CodeExecuteReadAccessed = 0xB,
    Tss64Available = 0x9,
};

struct SegmentDescriptor : RegisterBits<SegmentDescriptor> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(limit_low, 0, 16) // limit bits 0-15
    REGISTER_FIELD(base_low, 16, 24) // base bits 0-23
    REGISTER_FIELD(type, 40, 4)
    REGISTER_BIT(code_or_data, 44) // S: 0 for a system descriptor (TSS, LDT, gates)
    REGISTER_FIELD(privilege_level, 45, 2) // DPL
    REGISTER_BIT(present, 47) // P
    REGISTER_FIELD(limit_high, 48, 4) // limit bits 16-19
    REGISTER_BIT(available, 52) // AVL, free for software
    REGISTER_BIT(long_mode, 53) // L: 64-bit code
    REGISTER_BIT(default_size, 54) // D/B: 32-bit operands (must be 0 when L is 1)
    REGISTER_BIT(granularity, 55) // G: limit in 4 KiB units
    REGISTER_FIELD(base_high, 56, 8) // base bits 24-31

    constexpr SegmentDescriptor& set_limit(uint32_t limit)
    {
        return set_limit_low(limit & 0xFFFF).set_limit_high(limit >> 16);
    }
    constexpr SegmentDescriptor& set_base(uint32_t base)
    {
        return set_base_low(base & 0xFFFFFF).set_base_high(base >> 24);
    }
};

// A present code or data segment over all 4 GiB. In long mode base and
// limit are ignored; limit and G are set as in the trampoline's GDT. Code
// is 64-bit (L), data keeps D/B as a 32-bit data segment would.
constexpr SegmentDescriptor flat_segment(SegmentType type, uint8_t privilege_level)
{
    bool code = type == SegmentType::CodeExecuteReadAccessed;
    SegmentDescriptor descriptor;
    descriptor.set_limit(0xFFFFF)
        .set_granularity(true)
        .set_type(static_cast<uint64_t>(type))
        .set_code_or_data(true)
        .set_privilege_level(privilege_level)
        .set_present(true)
        .set_long_mode(code)
        .set_default_size(!code);
    return descriptor;
}

// The low eight bytes of a 64-bit TSS descriptor; the high eight hold base
// bits 32-63 (a system descriptor takes two GDT slots in long mode).
constexpr SegmentDescriptor tss_descriptor_low(uint64_t base, uint32_t limit)
{
    SegmentDescriptor descriptor;
    descriptor.set_limit(limit)
        .set_base(static_cast<uint32_t>(base))
        .set_type(static_cast<uint64_t>(SegmentType::Tss64Available))
        .set_present(true);
    return descriptor;
}
constexpr uint64_t tss_descriptor_high(uint64_t base)
{
    return base >> 32;
}

} // namespace arch
