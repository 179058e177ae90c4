#include "kernel/stack_protector.h"

#include "arch/cpu.h"
#include "kernel/panic.h"
#include "kernel/ro_after_init.h"
#include "kernel/symbols.h"

// The guard GCC's instrumentation reads. Link-time value: something, so an
// unseeded boot is still protected, and with a zero byte, so a string copy
// that runs over it stops there.
extern "C" {
RO_AFTER_INIT_INITIALIZED uint64_t __stack_chk_guard = 0x00F0E1D2C3B4A596;
}

extern "C" [[noreturn]] void __stack_chk_fail()
{
    // The call is the last instruction of the function whose canary was
    // smashed (it does not return), so its return address may be the first
    // byte after that function: look up the byte before it.
    auto caller = reinterpret_cast<uint64_t>(__builtin_return_address(0));
    lib::SymbolLocation where = kernel::kernel_symbols().find(caller - 1);
    if (where.found)
        PANIC("stack smashing detected in {} (canary overwritten; return address {:#x})",
            kernel::kernel_symbols().name_of(where).view(), caller);
    PANIC("stack smashing detected at {:#x} (canary overwritten)", caller);
}

namespace kernel {

[[gnu::no_stack_protector]] const char* seed_stack_protector()
{
    uint64_t value = 0;
    bool from_rdrand = arch::hardware_random(value);
    if (!from_rdrand)
        value = arch::read_timestamp_counter() * 0x9E3779B97F4A7C15ull; // spread the low bits
    // Keep one zero byte (the lowest: first in memory) against string overruns.
    __stack_chk_guard = value & ~0xFFull;
    return from_rdrand ? "RDRAND" : "the TSC";
}

} // namespace kernel
