#pragma once

// Threads waiting for something: a blocked thread is on exactly one wait
// queue and off every run queue, so it costs no CPU time until woken.
// Mutex, Semaphore, ConditionVariable, join and sleep are built on it.
//
// No lost wake-ups: wait_until checks its condition with the queue's lock
// held and queues the thread before releasing it, and wake_* take the same
// lock; so a waker that changes the state and then wakes either runs
// before the check (which sees the change) or finds the thread queued.

#include <stddef.h>

#include "sync/spinlock.h"

namespace sched {

class Thread;

class WaitQueue {
public:
    constexpr WaitQueue() = default;
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;

    // Blocks the calling thread until condition() (called with the queue's
    // lock held and interrupts off: keep it to a few loads) is true.
    template <typename Condition>
    void wait_until(Condition condition)
    {
        for (;;) {
            sync::InterruptGuard interrupts;
            m_lock.lock();
            if (condition()) {
                m_lock.unlock();
                return;
            }
            block_current_and_unlock();
        }
    }

    // Queues the calling thread, then calls release() (which gives up what
    // the waiter held: a mutex, for a condition variable) and blocks until
    // a wake_* picks it. release runs with interrupts off, after the thread
    // is queued, so a wake-up that follows it is never lost.
    template <typename Release>
    void wait_releasing(Release release)
    {
        sync::InterruptGuard interrupts;
        m_lock.lock();
        enqueue_current_as_blocked();
        m_lock.unlock();
        release();
        block_current();
    }

    // Wakes the longest waiter; false when none waited.
    bool wake_one();
    // Wakes every waiter; returns how many.
    size_t wake_all();
    bool empty() const { return m_head == nullptr; }

private:
    void enqueue_current_as_blocked();
    // With m_lock held and interrupts off: queue, unlock, switch away.
    void block_current_and_unlock();
    static void block_current();
    Thread* dequeue();

    sync::Spinlock m_lock;
    Thread* m_head = nullptr;
    Thread* m_tail = nullptr;
};

} // namespace sched
