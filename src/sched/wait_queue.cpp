#include "sched/wait_queue.h"

#include "sched/scheduler.h"
#include "sched/thread.h"

namespace sched {

void WaitQueue::enqueue_current_as_blocked()
{
    Thread& thread = *current_thread();
    thread.m_state.store(ThreadState::Blocked, lib::MemoryOrder::Release);
    thread.m_queue_next = nullptr;
    if (m_tail != nullptr)
        m_tail->m_queue_next = &thread;
    else
        m_head = &thread;
    m_tail = &thread;
}

void WaitQueue::block_current_and_unlock()
{
    enqueue_current_as_blocked();
    m_lock.unlock();
    block_current();
}

void WaitQueue::block_current()
{
    // Woken already (between the unlock and here) leaves the state
    // Runnable, and schedule() then finds the thread on its own run queue.
    schedule();
}

Thread* WaitQueue::dequeue()
{
    Thread* thread = m_head;
    if (thread == nullptr)
        return nullptr;
    m_head = thread->m_queue_next;
    if (m_head == nullptr)
        m_tail = nullptr;
    thread->m_queue_next = nullptr;
    return thread;
}

bool WaitQueue::wake_one()
{
    Thread* thread;
    {
        sync::SpinlockGuard guard(m_lock);
        thread = dequeue();
    }
    if (thread == nullptr)
        return false;
    wake(*thread);
    return true;
}

size_t WaitQueue::wake_all()
{
    Thread* threads;
    {
        sync::SpinlockGuard guard(m_lock);
        threads = m_head;
        m_head = m_tail = nullptr;
    }
    size_t woken = 0;
    while (threads != nullptr) {
        Thread* thread = threads;
        threads = thread->m_queue_next;
        thread->m_queue_next = nullptr;
        wake(*thread);
        ++woken;
    }
    return woken;
}

} // namespace sched
