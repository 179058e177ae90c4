// Fault words that hang on purpose, for the harness's hang forensics (issue
// 18): a boot that times out must say where every CPU was, whether its
// interrupts were on, and what the kernel last logged
// (test/harness/hang_forensics.py, test/test_forensics.py).

#include "arch/cpu.h"
#include "arch/interrupts.h"
#include "kernel/fault_kind.h"
#include "kernel/log.h"
#include "sched/scheduler.h"
#include "sched/thread.h"

namespace kernel {
namespace {

// No interrupt ever reaches this CPU again: neither the tick nor an IPI.
[[gnu::noinline]] void spin_with_interrupts_off()
{
    log(LogTag::Fault, "hang: spinning with interrupts off on CPU {}", arch::current_cpu_index());
    arch::disable_interrupts();
    for (;;)
        arch::cpu_relax();
}

[[gnu::noinline]] uint64_t spin_forever(void*)
{
    log(LogTag::Fault, "hang: thread '{}' spins with interrupts on, on CPU {}",
        sched::current_thread()->name(), arch::current_cpu_index());
    for (;;)
        arch::cpu_relax();
}

// A thread pinned to the last CPU spins; the boot flow waits for it, so
// every other CPU idles in hlt.
void spin_on_the_last_cpu()
{
    unsigned last = arch::cpu_count_online() - 1;
    auto spinner = sched::spawn("spinner", spin_forever, nullptr, { sched::Priority::Normal, last });
    if (!spinner) {
        log(LogTag::Fault, "hang: no thread: {}", sched::thread_error_name(spinner.error()));
        return;
    }
    sched::join(spinner.value());
}

} // namespace

FAULT_KIND(hang_interrupts_off, 340, "hang-interrupts-off",
    "spin with interrupts off: the boot times out; the harness reads where each CPU was", EndsTheBoot,
    spin_with_interrupts_off);
FAULT_KIND(hang_spinning, 342, "hang-spinning",
    "a thread pinned to the last CPU spins with interrupts on while the boot flow waits for it; the others "
    "idle",
    EndsTheBoot, spin_on_the_last_cpu);

} // namespace kernel
