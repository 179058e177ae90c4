#pragma once

// A condition variable: threads wait, with a mutex held, for a condition
// on the data that mutex guards, and whoever changes the data notifies.
//
//     sync::MutexGuard guard(queue_lock);
//     not_empty.wait(guard, [&] { return queue.count != 0; });
//
// wait() lets go of the mutex and blocks as one step (a notify after the
// release always finds the thread queued), and takes the mutex again
// before it returns. A return does not mean the condition holds: another
// thread may have run first and changed it again, and notify_all wakes
// everyone. Callers check their condition in a loop, or use the form
// that takes it (a predicate, called with the mutex held).

#include "sched/wait_queue.h"
#include "sync/mutex.h"

namespace sync {

class ConditionVariable {
public:
    constexpr ConditionVariable() = default;
    ConditionVariable(const ConditionVariable&) = delete;
    ConditionVariable& operator=(const ConditionVariable&) = delete;

    // The calling thread holds mutex (it panics otherwise).
    void wait(Mutex& mutex);
    void wait(MutexGuard& guard) { wait(guard.mutex()); }

    template <typename Predicate>
    void wait(Mutex& mutex, Predicate predicate)
    {
        while (!predicate())
            wait(mutex);
    }
    template <typename Predicate>
    void wait(MutexGuard& guard, Predicate predicate)
    {
        wait(guard.mutex(), predicate);
    }

    // Wakes the longest waiter; false when none waited.
    bool notify_one();
    // Wakes every waiter; returns how many.
    size_t notify_all();

private:
    sched::WaitQueue m_waiters;
};

} // namespace sync
