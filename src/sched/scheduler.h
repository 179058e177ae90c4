#pragma once

// The scheduler: one run queue per CPU, each a FIFO per priority (round
// robin within a priority, higher priorities first), preemption from every
// CPU's timer tick once a thread has run its time slice, work stealing by
// a CPU whose queue runs dry, and affinity (a pinned thread only ever runs
// on its CPU). Each CPU has an idle thread that halts until an interrupt.
//
// Switches happen in schedule(), called with interrupts off: by a thread
// that blocks, yields or ends, and at the end of an interrupt handler when
// the interrupted thread had interrupts on and its slice is over (or a
// higher priority thread woke), never inside a spinlock (spinlocks keep
// interrupts off).

#include <stdint.h>

#include "sched/thread.h"

namespace sched {

inline constexpr uint32_t kDefaultTimesliceMs = 10;

// Boot CPU, once the other CPUs are online: the running flow becomes the
// thread "main" (pinned to CPU 0), CPU 0 gets its idle thread, and every
// CPU's tick starts preempting. timeslice_ms: the boot word.
void start_scheduler(uint32_t timeslice_ms);
bool scheduler_running();
uint32_t timeslice_ms();

// An application processor, after it came online: the running flow
// becomes this CPU's idle thread. Never returns.
[[noreturn]] void run_idle_thread_on_application_processor();

// Gives the CPU to another runnable thread of the same or higher priority
// (round robin); returns at once when there is none. Panics in an interrupt
// handler, with a spinlock held or with preemption disabled.
void yield();

// Blocks for at least ms milliseconds (the TSC and, where there is one,
// the ACPI PM timer agree), woken by the tick after that. Before the
// scheduler runs it waits on the tick as the boot did.
void sleep_ms(uint64_t ms);

// Panics when the caller may not block: in an interrupt handler, with a
// spinlock held (naming it and where it was taken), with preemption or
// interrupts off, or in a CPU's idle thread. what: the operation, for the
// message.
void might_sleep(const char* what);

// Makes a Blocked thread Runnable on its CPU (its pinned one, else where it
// last ran) and tells that CPU. False when it was not Blocked.
bool wake(Thread& thread);

// With interrupts off: switches to the next thread to run on this CPU.
// The calling thread has set its own state first (Blocked, Dead), or is
// still Running and goes back on the run queue.
void schedule();

// Called at the end of every interrupt handler on the interrupted thread's
// stack (interrupts off): switches when a switch is due and the interrupted
// code had interrupts on.
void preempt_at_interrupt_exit(bool interrupted_with_interrupts_on);

// Statistics for benchmarks and tests.
struct SchedulerStatistics {
    uint64_t switches;
    uint64_t preemptions;
    uint64_t steals;
};
SchedulerStatistics scheduler_statistics(unsigned cpu);

} // namespace sched
