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

enum class PanicBacktrace : bool {
    FromCaller, // walk from the code that called panic_arguments
    AlreadyPrinted, // the caller reported one (an exception report's, from the faulting RIP)
};

[[noreturn]] void panic_arguments(const char* file, int line, PanicBacktrace backtrace,
    lib::StringView format, const lib::FormatArgument* arguments, size_t argument_count);

// Always inlined, so a backtrace's #0 is the function that raised the panic.
template <typename... Args>
[[noreturn, gnu::always_inline]] inline void panic_with(
    PanicBacktrace backtrace, const char* file, int line, lib::StringView format, const Args&... args)
{
    if constexpr (sizeof...(Args) == 0) {
        panic_arguments(file, line, backtrace, format, nullptr, 0);
    } else {
        const lib::FormatArgument arguments[] = { lib::make_format_argument(args)... };
        panic_arguments(file, line, backtrace, format, arguments, sizeof...(Args));
    }
}

template <typename... Args>
[[noreturn, gnu::always_inline]] inline void panic_at(
    const char* file, int line, lib::StringView format, const Args&... args)
{
    panic_with(PanicBacktrace::FromCaller, file, line, format, args...);
}

} // namespace kernel

#define PANIC(...) ::kernel::panic_at(__FILE__, __LINE__, __VA_ARGS__)
// For a handler that has printed the backtrace of the fault it reports.
#define PANIC_AFTER_REPORT(...)                                                                              \
    ::kernel::panic_with(::kernel::PanicBacktrace::AlreadyPrinted, __FILE__, __LINE__, __VA_ARGS__)
