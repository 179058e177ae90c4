#include "sync/semaphore.h"

#include "sched/scheduler.h"

namespace sync {

bool Semaphore::try_down()
{
    uint64_t permits = m_permits.load(lib::MemoryOrder::Relaxed);
    while (permits != 0) {
        if (m_permits.compare_exchange(permits, permits - 1, lib::MemoryOrder::Acquire))
            return true;
    }
    return false;
}

void Semaphore::down()
{
    sched::might_sleep("Semaphore::down");
    if (try_down())
        return;
    // The check runs with the queue's lock held and up() wakes through the
    // same lock after adding its permit: no lost wake-up
    // (sched/wait_queue.h).
    m_waiters.wait_until([this] { return try_down(); });
}

void Semaphore::up()
{
    m_permits.fetch_add(1, lib::MemoryOrder::Release);
    // One permit, one waiter: if another thread takes the permit first,
    // the woken one finds none and queues again.
    m_waiters.wake_one();
}

} // namespace sync
