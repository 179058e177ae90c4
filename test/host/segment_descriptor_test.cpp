// GDT descriptors built from named fields, against the layout of Intel SDM
// Vol. 3A Figure 3-8 packed here by hand. The kernel's own four code and
// data descriptors are checked by static_asserts in src/arch/x86_64/gdt.cpp.

#include "arch/x86_64/segment_descriptor.h"

#include <gtest/gtest.h>

namespace {

using arch::SegmentDescriptor;
using arch::SegmentType;

// Figure 3-8, one field at a time: the oracle for the builders.
uint64_t pack(uint32_t base, uint32_t limit, unsigned type, bool s, unsigned dpl, bool p, bool avl, bool l,
    bool db, bool g)
{
    uint64_t low = (limit & 0xFFFF) | (uint64_t(base & 0xFFFF) << 16);
    uint64_t high = ((base >> 16) & 0xFF) | (uint64_t(type) << 8) | (uint64_t(s) << 12)
        | (uint64_t(dpl) << 13) | (uint64_t(p) << 15) | (uint64_t((limit >> 16) & 0xF) << 16)
        | (uint64_t(avl) << 20) | (uint64_t(l) << 21) | (uint64_t(db) << 22) | (uint64_t(g) << 23)
        | (uint64_t(base >> 24) << 24);
    return low | (high << 32);
}

TEST(SegmentDescriptor, FlatSegmentsForEveryPrivilegeLevel)
{
    for (uint8_t dpl = 0; dpl < 4; ++dpl) {
        EXPECT_EQ(arch::flat_segment(SegmentType::CodeExecuteReadAccessed, dpl).value(),
            pack(0, 0xFFFFF, 0xB, true, dpl, true, false, true, false, true))
            << "code, DPL " << int(dpl);
        EXPECT_EQ(arch::flat_segment(SegmentType::DataReadWriteAccessed, dpl).value(),
            pack(0, 0xFFFFF, 0x3, true, dpl, true, false, false, true, true))
            << "data, DPL " << int(dpl);
    }
}

TEST(SegmentDescriptor, TssDescriptorSplitsBaseAndLimit)
{
    const uint64_t bases[] = { 0, 0x12345678, 0xFFFFFFFF8014A120, 0xFFFF800000000000 };
    const uint32_t limits[] = { 103, 0xFFFF, 0x10000, 0xFFFFF };
    for (uint64_t base : bases) {
        for (uint32_t limit : limits) {
            EXPECT_EQ(arch::tss_descriptor_low(base, limit).value(),
                pack(static_cast<uint32_t>(base), limit, 0x9, false, 0, true, false, false, false, false))
                << std::hex << base << " " << limit;
            EXPECT_EQ(arch::tss_descriptor_high(base), base >> 32);
        }
    }
}

TEST(SegmentDescriptor, FieldsReadBackWhatWasSet)
{
    SegmentDescriptor descriptor(pack(0xAABBCCDD, 0x54321, 0x9, false, 2, true, true, false, true, false));
    EXPECT_EQ(descriptor.base_low(), 0xBBCCDDu);
    EXPECT_EQ(descriptor.base_high(), 0xAAu);
    EXPECT_EQ(descriptor.limit_low(), 0x4321u);
    EXPECT_EQ(descriptor.limit_high(), 0x5u);
    EXPECT_EQ(descriptor.type(), 0x9u);
    EXPECT_FALSE(descriptor.code_or_data());
    EXPECT_EQ(descriptor.privilege_level(), 2u);
    EXPECT_TRUE(descriptor.present());
    EXPECT_TRUE(descriptor.available());
    EXPECT_FALSE(descriptor.long_mode());
    EXPECT_TRUE(descriptor.default_size());
    EXPECT_FALSE(descriptor.granularity());
}

} // namespace
