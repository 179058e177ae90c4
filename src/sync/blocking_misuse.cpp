// Fault words for the misuse of blocking locks (issue 14): each ends the
// boot with a panic that names what was done wrong. test/test_threads_sync.py
// boots them and reads the thread names chosen here.

#include <stdint.h>

#include "arch/interrupts.h"
#include "drivers/kernel_tick.h"
#include "kernel/fault_kind.h"
#include "kernel/log.h"
#include "lib/atomic.h"
#include "sched/scheduler.h"
#include "sched/thread.h"
#include "sync/mutex.h"
#include "sync/spinlock.h"

namespace sync {
namespace {

using kernel::log;
using kernel::LogTag;

constinit lib::Atomic<bool> g_holder_has_it = false;

Mutex& misused_mutex()
{
    static Mutex mutex("misused");
    return mutex;
}

uint64_t hold_the_mutex(void*)
{
    misused_mutex().lock();
    g_holder_has_it.store(true);
    // Keeps it, asleep, until the boot ends.
    for (;;)
        sched::sleep_ms(1000);
}

// Thread "mutex-holder" locks; the boot's thread "main" unlocks.
void unlock_a_mutex_another_thread_holds()
{
    auto holder = sched::spawn("mutex-holder", hold_the_mutex, nullptr);
    if (!holder) {
        log(LogTag::Fault, "mutex misuse: no thread: {}", sched::thread_error_name(holder.error()));
        return;
    }
    while (!g_holder_has_it.load())
        sched::sleep_ms(1);
    log(LogTag::Fault, "mutex misuse: thread '{}' unlocks the mutex that thread '{}' holds",
        sched::current_thread()->name(), holder.value()->name());
    misused_mutex().unlock();
}

void lock_on_tick(uint64_t)
{
    misused_mutex().lock();
}

// Locks from the tick's interrupt handler: a mutex there would put the
// interrupted thread to sleep.
void lock_a_mutex_in_an_interrupt_handler()
{
    log(LogTag::Fault, "mutex misuse: locking a mutex in the tick's interrupt handler");
    drivers::set_tick_observer(lock_on_tick);
    // A second is a thousand ticks at the default rate; coming back means
    // the lock went through, and inject_fault panics that it did not fault.
    sched::sleep_ms(1000);
    drivers::set_tick_observer(nullptr);
}

void sleep_with_interrupts_off()
{
    log(LogTag::Fault, "sleep misuse: sleeping with interrupts off");
    arch::disable_interrupts();
    sched::sleep_ms(10);
    arch::enable_interrupts();
}

Mutex& kept_mutex()
{
    static Mutex mutex("kept");
    return mutex;
}

uint64_t end_holding_the_mutex(void*)
{
    kept_mutex().lock();
    return 0;
}

// Thread "mutex-keeper" ends with the mutex locked: no one could ever take
// it again, so exit_thread refuses.
void end_a_thread_that_holds_a_mutex()
{
    auto keeper = sched::spawn("mutex-keeper", end_holding_the_mutex, nullptr);
    if (!keeper) {
        log(LogTag::Fault, "mutex misuse: no thread: {}", sched::thread_error_name(keeper.error()));
        return;
    }
    log(LogTag::Fault, "mutex misuse: thread '{}' ends holding a mutex", keeper.value()->name());
    sched::join(keeper.value());
}

void yield_holding_a_spinlock()
{
    static Spinlock lock("yielded");
    log(LogTag::Fault, "yield misuse: yielding with a spinlock held");
    SpinlockGuard guard(lock);
    sched::yield();
}

// Run as a job on another CPU (fault_cpu=N): jobs run in the CPU's idle
// thread, which must never block.
void sleep_in_an_idle_thread()
{
    const sched::Thread& thread = *sched::current_thread();
    if (!thread.is_idle()) {
        // The boot CPU's trigger runs in thread main: nothing to misuse.
        log(LogTag::Fault,
            "sleep misuse: needs fault_cpu=N with N >= 1 (the trigger runs in thread '{}', not an "
            "idle thread)",
            thread.name());
        return;
    }
    log(LogTag::Fault, "sleep misuse: sleeping in thread '{}'", thread.name());
    sched::sleep_ms(10);
}

} // namespace

FAULT_KIND(mutex_unlock_not_owner, 300, "mutex-unlock-not-owner",
    "a mutex unlocked by a thread that does not hold it: [PANIC] naming both threads", EndsTheBoot,
    unlock_a_mutex_another_thread_holds);
FAULT_KIND(mutex_in_interrupt, 310, "mutex-in-interrupt",
    "Mutex::lock in an interrupt handler (the tick's): [PANIC] from might_sleep", EndsTheBoot,
    lock_a_mutex_in_an_interrupt_handler);
FAULT_KIND(sleep_with_interrupts_off, 320, "sleep-with-interrupts-off",
    "sleep_ms with interrupts off: [PANIC] from might_sleep", EndsTheBoot, sleep_with_interrupts_off);
FAULT_KIND(exit_holding_mutex, 322, "exit-holding-mutex",
    "a thread ends with a mutex locked: [PANIC] naming the thread, the mutex and where it was taken",
    EndsTheBoot, end_a_thread_that_holds_a_mutex);
FAULT_KIND(yield_holding_spinlock, 324, "yield-holding-spinlock",
    "yield with a spinlock held: [PANIC] naming the lock and where it was taken", EndsTheBoot,
    yield_holding_a_spinlock);
FAULT_KIND(sleep_in_idle_thread, 326, "sleep-in-idle-thread",
    "sleep_ms in a CPU's idle thread (with fault_cpu=N, a job there): [PANIC] from might_sleep", EndsTheBoot,
    sleep_in_an_idle_thread);

} // namespace sync
