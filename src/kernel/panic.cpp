#include "kernel/panic.h"

#include "arch/backtrace.h"
#include "arch/cpu.h"
#include "drivers/qemu_exit.h"
#include "kernel/log.h"

namespace kernel {
namespace {

bool g_panicking = false;

} // namespace

void panic_arguments(const char* file, int line, PanicBacktrace backtrace, lib::StringView format,
    const lib::FormatArgument* arguments, size_t argument_count)
{
    enter_emergency_logging();
    // A panic while printing a panic must not recurse: say so and stop.
    if (g_panicking) {
        log(LogTag::Panic, "nested panic at {}:{} on CPU {}", file, line, arch::current_cpu_index());
        drivers::qemu_exit(drivers::QemuExitCode::Failure);
    }
    g_panicking = true;

    // From this function's own frame, so #0 is the call that raised the
    // panic, whether or not the compiler inlined panic_at into it.
    if (backtrace == PanicBacktrace::FromCaller)
        arch::log_backtrace_from_frame(reinterpret_cast<uint64_t>(__builtin_frame_address(0)));

    char message[kPanicMessageCapacity];
    lib::BufferSink sink(message, sizeof(message));
    lib::format_arguments(sink, format, arguments, argument_count);
    log(LogTag::Panic, "{} ({}:{}) on CPU {}", sink.view(), file, line, arch::current_cpu_index());
    drivers::qemu_exit(drivers::QemuExitCode::Failure);
}

} // namespace kernel
