#pragma once

// The kernel log: one line per event, "[TAG] message", on the serial port.
// Tests and tools match on the tags, so each subsystem has exactly one.

#include <stdint.h>

#include "lib/format.h"

namespace drivers {
class FramebufferConsole;
class Uart16550;
} // namespace drivers

namespace kernel {

enum class LogTag : uint8_t {
    Boot,
    Cpu,
    Mem,
    Serial,
    Timer,
    Acpi,
    Apic,
    Kbd,
    Mouse,
    Fb,
    Pci,
    Smp,
    Fault,
    Panic,
    Test,
    Lockdep,
    Bench,
    Raw
};
// Bench: "[BENCH] <part> <name> <value> <unit> (<how>)", what ci/benchmark.py reads.
// Raw: no "[TAG] " prefix, for output a machine parses as it is (KTAP).

const char* log_tag_name(LogTag tag);

// Where log lines go from now on; nullptr drops them (no console yet).
void set_log_console(drivers::Uart16550* console);

// The screen console, written beside the serial one from now on; it is
// handed the log so far first, so the screen starts at the first line.
void set_log_screen(drivers::FramebufferConsole* screen);
// Draws what was written to the screen since the last flush (the screen
// console defers drawing): where the kernel waits, and before it exits.
void flush_log_screen();

// From here on, lines are written without taking the log lock: for the
// fault and panic paths, whose interrupted context may hold it.
void enter_emergency_logging();

// Text as it is, no tag and no newline (the console's prompt and echo).
void write_console(lib::StringView text);

void log_arguments(
    LogTag tag, lib::StringView format, const lib::FormatArgument* arguments, size_t argument_count);

template <typename... Args>
void log(LogTag tag, lib::StringView format, const Args&... args)
{
    if constexpr (sizeof...(Args) == 0) {
        log_arguments(tag, format, nullptr, 0);
    } else {
        const lib::FormatArgument arguments[] = { lib::make_format_argument(args)... };
        log_arguments(tag, format, arguments, sizeof...(Args));
    }
}

} // namespace kernel
