#include "kernel/panic.h"

#include "arch/backtrace.h"
#include "arch/cpu.h"
#include "arch/cpu_stop.h"
#include "drivers/qemu_exit.h"
#include "kernel/boot_profile.h"
#include "kernel/log.h"
#include "kernel/symbols.h"
#include "lib/atomic.h"
#include "sched/thread.h"

namespace kernel {
namespace {

bool g_panicking = false;

// The one CPU allowed to report (index + 1; 0: none yet).
lib::Atomic<bool> g_report_claimed;
lib::Atomic<unsigned> g_reporting_cpu;

// How long the reporting CPU waits for the others to say they halted. An
// NMI is taken within microseconds, but under TCG a virtual CPU the busy
// host leaves unscheduled takes it only when it runs again (10 ms missed
// one in a full test run): the wait ends as soon as all have answered.
constexpr uint64_t kStopWaitMs = 1000;
// The wait's length in cycles when the TSC's rate is not known yet: about
// a second at 1 GHz.
constexpr uint64_t kStopWaitCyclesUnknownRate = 1'000'000'000;

} // namespace

void claim_fatal_report()
{
    unsigned self = arch::current_cpu_index();
    if (g_reporting_cpu.load() == self + 1)
        return; // a fault report that ends in a panic: claimed already
    if (g_report_claimed.exchange(true)) {
        // Another CPU reports; it has stopped or is stopping this one.
        arch::halt_forever();
    }
    g_reporting_cpu.store(self + 1);
    uint64_t cycles_per_ms = tsc_cycles_per_ms();
    arch::StoppedCpus stopped = arch::stop_other_cpus(
        cycles_per_ms != 0 ? kStopWaitMs * cycles_per_ms : kStopWaitCyclesUnknownRate);
    enter_emergency_logging();
    if (stopped.others != 0)
        log(LogTag::Panic, "other CPUs stopped: {} of {}", stopped.stopped, stopped.others);
}

void panic_arguments(const PanicSite& site, lib::StringView format, const lib::FormatArgument* arguments,
    size_t argument_count)
{
    claim_fatal_report();
    unsigned cpu = arch::current_cpu_index();
    // A panic while printing a panic must not recurse: say so and stop.
    if (g_panicking) {
        if (site.is_fault())
            log(LogTag::Panic, "nested panic at a fault at {:#018x} on CPU {}", site.fault_rip, cpu);
        else
            log(LogTag::Panic, "nested panic at {}:{} on CPU {}", site.file, site.line, cpu);
        drivers::qemu_exit(drivers::QemuExitCode::Failure);
    }
    g_panicking = true;

    // From this function's own frame, so #0 is the call that raised the
    // panic, whether or not the compiler inlined panic_at into it.
    if (!site.is_fault())
        arch::log_backtrace_from_frame(reinterpret_cast<uint64_t>(__builtin_frame_address(0)));

    char message[kPanicMessageCapacity];
    lib::BufferSink sink(message, sizeof(message));
    lib::format_arguments(sink, format, arguments, argument_count);
    // The thread first: the message stays the report's last line.
    if (const sched::Thread* thread = sched::current_thread())
        log(LogTag::Panic, "in thread '{}' (id {}):", thread->name(), thread->id());
    if (site.is_fault()) {
        lib::SymbolLocation location = kernel_symbols().find(site.fault_rip);
        if (location.found)
            log(LogTag::Panic, "{} at {:#018x} {}+{:#x} on CPU {}", sink.view(), site.fault_rip,
                kernel_symbols().name_of(location).view(), location.offset, cpu);
        else
            log(LogTag::Panic, "{} at {:#018x} (no symbol) on CPU {}", sink.view(), site.fault_rip, cpu);
    } else {
        log(LogTag::Panic, "{} ({}:{}) on CPU {}", sink.view(), site.file, site.line, cpu);
    }
    drivers::qemu_exit(drivers::QemuExitCode::Failure);
}

} // namespace kernel
