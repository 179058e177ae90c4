#include "kernel/panic.h"

#include "drivers/qemu_exit.h"
#include "kernel/log.h"

namespace kernel {
namespace {

bool g_panicking = false;

} // namespace

void panic_arguments(const char* file, int line, lib::StringView format, const lib::FormatArgument* arguments,
    size_t argument_count)
{
    enter_emergency_logging();
    // A panic while printing a panic must not recurse: say so and stop.
    if (g_panicking) {
        log(LogTag::Panic, "nested panic at {}:{}", file, line);
        drivers::qemu_exit(drivers::QemuExitCode::Failure);
    }
    g_panicking = true;

    char message[256];
    lib::BufferSink sink(message, sizeof(message));
    lib::format_arguments(sink, format, arguments, argument_count);
    log(LogTag::Panic, "{} ({}:{})", sink.view(), file, line);
    drivers::qemu_exit(drivers::QemuExitCode::Failure);
}

} // namespace kernel
