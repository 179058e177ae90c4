#pragma once

// A counting semaphore for threads: down() takes a permit, sleeping on a
// wait queue while there is none; up() gives one back and wakes a waiter.
// up() never blocks (any thread may call it, not only one that took a
// permit); down() may, so never from an interrupt handler.

#include <stdint.h>

#include "lib/atomic.h"
#include "sched/wait_queue.h"

namespace sync {

class Semaphore {
public:
    explicit Semaphore(uint64_t permits)
        : m_permits(permits)
    {
    }
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;

    void down();
    // Takes a permit when there is one, without waiting.
    bool try_down();
    void up();

    // A snapshot, for reports and tests.
    uint64_t permits() const { return m_permits.load(lib::MemoryOrder::Relaxed); }

private:
    lib::Atomic<uint64_t> m_permits;
    sched::WaitQueue m_waiters;
};

} // namespace sync
