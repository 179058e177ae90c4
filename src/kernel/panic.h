#pragma once

// The one way a fatal error ends: the backtrace of where it was raised, then
// "[PANIC] <message> (file:line)" on the console, then QEMU's failure exit,
// then a halt where that device is absent. For broken invariants and for
// input the kernel cannot boot with; the message names what was wrong.

#include "lib/format.h"

namespace kernel {

// The longest [PANIC] message; longer ones are cut.
inline constexpr size_t kPanicMessageCapacity = 256;

// First step of every fatal report (a panic, an exception report): makes
// this CPU the only one that reports, stops the other CPUs (NMI) and logs
// how many stopped, so that no other output interleaves. A CPU that comes
// second halts here for good. Calling it again on the reporting CPU does
// nothing. Leaves logging in emergency mode (no lock).
void claim_fatal_report();

// Where a fatal error was raised: a PANIC's own file and line (its
// backtrace walked from there), or the instruction an exception handler
// reports a fault at (the report printed that backtrace already); the
// panic line names the fault's site, not the handler's.
struct PanicSite {
    const char* file = nullptr;
    int line = 0;
    uint64_t fault_rip = 0; // nonzero: a fault at this RIP, already reported

    bool is_fault() const { return fault_rip != 0; }
};

[[noreturn]] void panic_arguments(const PanicSite& site, lib::StringView format,
    const lib::FormatArgument* arguments, size_t argument_count);

// Always inlined, so a backtrace's #0 is the function that raised the panic.
template <typename... Args>
[[noreturn, gnu::always_inline]] inline void panic_with(
    const PanicSite& site, lib::StringView format, const Args&... args)
{
    if constexpr (sizeof...(Args) == 0) {
        panic_arguments(site, format, nullptr, 0);
    } else {
        const lib::FormatArgument arguments[] = { lib::make_format_argument(args)... };
        panic_arguments(site, format, arguments, sizeof...(Args));
    }
}

template <typename... Args>
[[noreturn, gnu::always_inline]] inline void panic_at(
    const char* file, int line, lib::StringView format, const Args&... args)
{
    panic_with(PanicSite { file, line, 0 }, format, args...);
}

} // namespace kernel

#define PANIC(...) ::kernel::panic_at(__FILE__, __LINE__, __VA_ARGS__)
// For an exception handler that has reported the fault at rip (with its
// backtrace): the panic line names that site.
#define PANIC_AT_FAULT(rip, ...) ::kernel::panic_with(::kernel::PanicSite { nullptr, 0, (rip) }, __VA_ARGS__)
