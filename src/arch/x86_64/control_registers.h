#pragma once

// CR0, CR2, CR3, CR4 and EFER as typed registers with named bits (Intel SDM
// Vol. 3A 2.5 "Control Registers", Figure 2-7; 2.2.1 "Extended Feature
// Enable Register", Figure 2-8). read() and write() are generated once, by
// CONTROL_REGISTER_ACCESS and MSR_REGISTER_ACCESS; the bits are declared
// with REGISTER_BIT (register_bits.h).

#include <stdint.h>

#include "arch/x86_64/register_bits.h"

namespace arch {

enum class Msr : uint32_t {
    ApicBase = 0x1B, // IA32_APIC_BASE (SDM Vol. 3A 11.4.4)
    // x2APIC register n (its xAPIC offset / 16) is MSR 0x800 + n (SDM Vol. 3A 11.12.1.2).
    X2ApicFirst = 0x800,
    X2ApicLast = 0x8FF,
    Efer = 0xC0000080,
    FsBase = 0xC0000100,
    GsBase = 0xC0000101,
};

inline uint64_t read_msr(Msr msr)
{
    uint32_t low, high;
    asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(static_cast<uint32_t>(msr)));
    return (static_cast<uint64_t>(high) << 32) | low;
}
inline void write_msr(Msr msr, uint64_t value)
{
    asm volatile("wrmsr"
                 :
                 : "c"(static_cast<uint32_t>(msr)), "a"(static_cast<uint32_t>(value)),
                 "d"(static_cast<uint32_t>(value >> 32))
                 : "memory");
}

// static Type read() and void write() const for a register moved with MOV CRn.
#define CONTROL_REGISTER_ACCESS(Type, name)                                                                  \
    static Type read()                                                                                       \
    {                                                                                                        \
        uint64_t raw;                                                                                        \
        asm volatile("mov %%" name ", %0" : "=r"(raw));                                                      \
        return Type(raw);                                                                                    \
    }                                                                                                        \
    void write() const                                                                                       \
    {                                                                                                        \
        asm volatile("mov %0, %%" name : : "r"(value()) : "memory");                                         \
    }

// The same for a model-specific register.
#define MSR_REGISTER_ACCESS(Type, msr)                                                                       \
    static Type read()                                                                                       \
    {                                                                                                        \
        return Type(read_msr(msr));                                                                          \
    }                                                                                                        \
    void write() const                                                                                       \
    {                                                                                                        \
        write_msr(msr, value());                                                                             \
    }

struct Cr0 : RegisterBits<Cr0> {
    using RegisterBits::RegisterBits;
    CONTROL_REGISTER_ACCESS(Cr0, "cr0")
    REGISTER_BIT(protection_enable, 0)
    REGISTER_BIT(monitor_coprocessor, 1)
    REGISTER_BIT(emulation, 2)
    REGISTER_BIT(task_switched, 3)
    REGISTER_BIT(numeric_error, 5)
    REGISTER_BIT(write_protect, 16) // supervisor writes honour read-only pages
    REGISTER_BIT(alignment_mask, 18)
    REGISTER_BIT(paging, 31)
};

// The linear address of the last page fault.
struct Cr2 : RegisterBits<Cr2> {
    using RegisterBits::RegisterBits;
    CONTROL_REGISTER_ACCESS(Cr2, "cr2")
};

// Without PCIDs (CR4.PCIDE = 0): Intel SDM Vol. 3A 4.5, Table 4-12.
struct Cr3 : RegisterBits<Cr3> {
    using RegisterBits::RegisterBits;
    CONTROL_REGISTER_ACCESS(Cr3, "cr3")
    REGISTER_BIT(page_write_through, 3)
    REGISTER_BIT(page_cache_disable, 4)
    REGISTER_ADDRESS(root_table, 12, 40) // physical address of the PML4
};

struct Cr4 : RegisterBits<Cr4> {
    using RegisterBits::RegisterBits;
    CONTROL_REGISTER_ACCESS(Cr4, "cr4")
    REGISTER_BIT(pae, 5)
    REGISTER_BIT(page_global_enable, 7)
    REGISTER_BIT(umip, 11) // SGDT, SIDT, SLDT, SMSW, STR fault in user mode
    REGISTER_BIT(fs_gs_base, 16)
    REGISTER_BIT(smep, 20) // supervisor may not execute user pages
    REGISTER_BIT(smap, 21) // supervisor may not access user pages (unless RFLAGS.AC)
};

struct Efer : RegisterBits<Efer> {
    using RegisterBits::RegisterBits;
    MSR_REGISTER_ACCESS(Efer, Msr::Efer)
    REGISTER_BIT(system_call, 0)
    REGISTER_BIT(long_mode_enable, 8)
    REGISTER_BIT(long_mode_active, 10)
    REGISTER_BIT(no_execute_enable, 11)
};

// The bit positions against the manual's figures.
static_assert(Cr0().set_write_protect(true).value() == 1ull << 16);
static_assert(Cr0().set_paging(true).value() == 1ull << 31);
static_assert(Cr3().set_root_table(0x1234'5000).value() == 0x1234'5000);
static_assert(Cr3(0x1234'5018).root_table() == 0x1234'5000);
static_assert(Cr4().set_smep(true).set_smap(true).value() == (1ull << 20 | 1ull << 21));
static_assert(Efer().set_no_execute_enable(true).value() == 1ull << 11);

} // namespace arch
