#pragma once

// CR0, CR2, CR3, CR4 and the MSRs the kernel touches, with named bits
// (Intel SDM Vol. 3A 2.5 "Control Registers", 2.2.1 "Extended Feature
// Enable Register").

#include <stdint.h>

namespace arch {

enum class Cr0 : uint64_t {
    ProtectionEnable = 1ull << 0,
    MonitorCoprocessor = 1ull << 1,
    Emulation = 1ull << 2,
    TaskSwitched = 1ull << 3,
    NumericError = 1ull << 5,
    WriteProtect = 1ull << 16, // supervisor writes honour read-only pages
    AlignmentMask = 1ull << 18,
    Paging = 1ull << 31,
};

enum class Cr4 : uint64_t {
    Pae = 1ull << 5,
    PageGlobalEnable = 1ull << 7,
    Umip = 1ull << 11, // SGDT, SIDT, SLDT, SMSW, STR fault in user mode
    FsGsBase = 1ull << 16,
    Smep = 1ull << 20, // supervisor may not execute user pages
    Smap = 1ull << 21, // supervisor may not access user pages (unless RFLAGS.AC)
};

enum class Msr : uint32_t {
    Efer = 0xC0000080,
    FsBase = 0xC0000100,
    GsBase = 0xC0000101,
};

enum class Efer : uint64_t {
    SystemCall = 1ull << 0,
    LongModeEnable = 1ull << 8,
    LongModeActive = 1ull << 10,
    NoExecuteEnable = 1ull << 11,
};

constexpr uint64_t bit(Cr0 flag)
{
    return static_cast<uint64_t>(flag);
}
constexpr uint64_t bit(Cr4 flag)
{
    return static_cast<uint64_t>(flag);
}
constexpr uint64_t bit(Efer flag)
{
    return static_cast<uint64_t>(flag);
}

inline uint64_t read_cr0()
{
    uint64_t value;
    asm volatile("mov %%cr0, %0" : "=r"(value));
    return value;
}
inline void write_cr0(uint64_t value)
{
    asm volatile("mov %0, %%cr0" : : "r"(value) : "memory");
}

// The linear address of the last page fault.
inline uint64_t read_cr2()
{
    uint64_t value;
    asm volatile("mov %%cr2, %0" : "=r"(value));
    return value;
}

inline uint64_t read_cr3()
{
    uint64_t value;
    asm volatile("mov %%cr3, %0" : "=r"(value));
    return value;
}
inline void write_cr3(uint64_t value)
{
    asm volatile("mov %0, %%cr3" : : "r"(value) : "memory");
}

inline uint64_t read_cr4()
{
    uint64_t value;
    asm volatile("mov %%cr4, %0" : "=r"(value));
    return value;
}
inline void write_cr4(uint64_t value)
{
    asm volatile("mov %0, %%cr4" : : "r"(value) : "memory");
}

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

} // namespace arch
