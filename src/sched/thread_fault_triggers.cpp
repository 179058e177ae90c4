// Faults inside a spawned thread, for fault injection (fault=thread-*): the
// report must name the thread, its ID and its stack, and a stack overflow
// must hit the thread's own guard page (src/sched/thread_stack.h).

#include "arch/cpu.h"
#include "arch/fault_triggers.h"
#include "kernel/fault_kind.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "sched/thread.h"
#include "sync/preemption_guard.h"

namespace sched {
namespace {

[[gnu::noinline]] uint64_t faulty_thread_reads_unmapped_memory(void*)
{
    arch::trigger_unmapped_read();
    return 0;
}

[[gnu::noinline]] uint64_t faulty_thread_overflows_its_stack(void*)
{
    arch::trigger_stack_overflow();
    return 0;
}

// Runs function in a thread named 'faulty' on the calling CPU and waits for
// it: the fault ends the boot, so join only returns if it did not fault.
// The spawn line comes out before the thread can run: without the guard a
// tick between spawn and log could switch to 'faulty', whose fault ends the
// boot before the line that names it (seen once in a suite run).
void run_in_faulty_thread(ThreadFunction function)
{
    Thread* spawned = nullptr;
    {
        sync::PreemptionGuard not_before_the_line_is_out;
        unsigned cpu = arch::current_cpu_index();
        auto thread = spawn("faulty", function, nullptr, { Priority::Normal, cpu });
        if (!thread)
            PANIC("fault injection: no thread 'faulty': {}", thread_error_name(thread.error()));
        spawned = thread.value();
        kernel::log(kernel::LogTag::Boot, "fault injection: thread 'faulty' (id {}) spawned on CPU {}",
            spawned->id(), cpu);
    }
    join(spawned);
}

void trigger_thread_page_fault()
{
    run_in_faulty_thread(faulty_thread_reads_unmapped_memory);
}

void trigger_thread_stack_overflow()
{
    run_in_faulty_thread(faulty_thread_overflows_its_stack);
}

} // namespace

FAULT_KIND(thread_page_fault, 280, "thread-page-fault",
    "#PF in the thread 'faulty': the report names the thread, its ID and its stack", EndsTheBoot,
    trigger_thread_page_fault);
FAULT_KIND(thread_stack_overflow, 290, "thread-stack-overflow",
    "#DF after the thread 'faulty' runs its stack into its own guard page", EndsTheBoot,
    trigger_thread_stack_overflow);

} // namespace sched
