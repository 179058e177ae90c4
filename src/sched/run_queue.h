#pragma once

// One CPU's runnable threads: a FIFO per priority. Not locked itself: the
// CPU's scheduler lock guards it (src/sched/scheduler.cpp).

#include <stddef.h>

#include "sched/thread.h"

namespace sched {

class RunQueue {
public:
    void push(Thread& thread)
    {
        Fifo& fifo = m_fifos[static_cast<unsigned>(thread.m_priority)];
        thread.m_queue_next = nullptr;
        if (fifo.tail != nullptr)
            fifo.tail->m_queue_next = &thread;
        else
            fifo.head = &thread;
        fifo.tail = &thread;
        m_length.store(m_length.load(lib::MemoryOrder::Relaxed) + 1, lib::MemoryOrder::Relaxed);
        if (thread.m_pinned_cpu == kAnyCpu)
            m_unpinned_length.store(
                m_unpinned_length.load(lib::MemoryOrder::Relaxed) + 1, lib::MemoryOrder::Relaxed);
    }

    // The first of the highest priority; nullptr when empty.
    Thread* pop()
    {
        for (unsigned priority = kPriorityCount; priority-- > 0;) {
            if (m_fifos[priority].head != nullptr)
                return remove(m_fifos[priority], nullptr, *m_fifos[priority].head);
        }
        return nullptr;
    }

    // The first thread not pinned to this queue's CPU (for a CPU stealing
    // work), highest priority first; nullptr when there is none.
    Thread* pop_unpinned()
    {
        for (unsigned priority = kPriorityCount; priority-- > 0;) {
            Thread* before = nullptr;
            for (Thread* thread = m_fifos[priority].head; thread != nullptr; thread = thread->m_queue_next) {
                if (thread->m_pinned_cpu == kAnyCpu)
                    return remove(m_fifos[priority], before, *thread);
                before = thread;
            }
        }
        return nullptr;
    }

    // Without the lock: a hint (the idle loop's "anything to do?").
    size_t length() const { return m_length.load(lib::MemoryOrder::Relaxed); }
    // Also a hint: how many of them another CPU may steal.
    size_t unpinned_length() const { return m_unpinned_length.load(lib::MemoryOrder::Relaxed); }
    // The highest priority queued; only meaningful with the lock held.
    bool has_priority_above(Priority priority) const
    {
        for (unsigned above = static_cast<unsigned>(priority) + 1; above < kPriorityCount; ++above) {
            if (m_fifos[above].head != nullptr)
                return true;
        }
        return false;
    }

private:
    struct Fifo {
        Thread* head = nullptr;
        Thread* tail = nullptr;
    };

    Thread* remove(Fifo& fifo, Thread* before, Thread& thread)
    {
        if (before != nullptr)
            before->m_queue_next = thread.m_queue_next;
        else
            fifo.head = thread.m_queue_next;
        if (fifo.tail == &thread)
            fifo.tail = before;
        thread.m_queue_next = nullptr;
        m_length.store(m_length.load(lib::MemoryOrder::Relaxed) - 1, lib::MemoryOrder::Relaxed);
        if (thread.m_pinned_cpu == kAnyCpu)
            m_unpinned_length.store(
                m_unpinned_length.load(lib::MemoryOrder::Relaxed) - 1, lib::MemoryOrder::Relaxed);
        return &thread;
    }

    Fifo m_fifos[kPriorityCount];
    lib::Atomic<size_t> m_length = 0;
    lib::Atomic<size_t> m_unpinned_length = 0;
};

} // namespace sched
