#include "sync/condition_variable.h"

#include "kernel/panic.h"
#include "sched/scheduler.h"
#include "sched/thread.h"

namespace sync {

void ConditionVariable::wait(Mutex& mutex)
{
    sched::might_sleep("ConditionVariable::wait");
    if (!mutex.is_held_by_current_thread()) {
        sched::Thread* thread = sched::current_thread();
        PANIC("thread '{}' waits on a condition variable without holding mutex '{}' ({}:{})",
            thread != nullptr ? thread->name() : "(no thread)", mutex.name(), mutex.file(), mutex.line());
    }
    // Queued before the mutex is let go: a notifier must take the mutex
    // to change the condition, so its notify comes after the release and
    // finds this thread on the queue.
    m_waiters.wait_releasing([&mutex] { mutex.unlock(); });
    mutex.lock();
}

bool ConditionVariable::notify_one()
{
    return m_waiters.wake_one();
}

size_t ConditionVariable::notify_all()
{
    return m_waiters.wake_all();
}

} // namespace sync
