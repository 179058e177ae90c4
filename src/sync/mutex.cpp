#include "sync/mutex.h"

#include "arch/thread_context.h"
#include "kernel/panic.h"
#include "sched/scheduler.h"
#include "sched/thread.h"
#include "sync/lock_validator.h"

namespace sync {
namespace {

uintptr_t current_thread_word(const char* operation)
{
    sched::Thread* thread = sched::current_thread();
    if (thread == nullptr)
        PANIC("{} before the scheduler runs on this CPU: a mutex needs a thread to own it", operation);
    return reinterpret_cast<uintptr_t>(thread);
}

} // namespace

void Mutex::lock(LockSite site)
{
    sched::might_sleep("Mutex::lock");
    uintptr_t self = current_thread_word("Mutex::lock");
    HeldLockStack& held = sched::current_thread()->m_held_locks;
    if (!lock_will_acquire(held, m_class, this, LockKind::Sleeping, site)) {
        // Held already (reported): waiting would never end.
        lock_acquired(held, m_class, this, site, LockAcquired::Recursively);
        return;
    }
    uintptr_t expected = 0;
    if (!m_owner.compare_exchange(expected, self, lib::MemoryOrder::Acquire))
        lock_contended(self);
    lock_acquired(held, m_class, this, site, LockAcquired::Really);
}

void Mutex::lock_contended(uintptr_t self)
{
    if ((m_owner.load(lib::MemoryOrder::Relaxed) & ~kWaitersBit) == self) {
        sched::Thread* thread = sched::current_thread();
        PANIC(
            "thread '{}' (id {}) locks mutex '{}' ({}:{}) that it holds already: it would deadlock on itself",
            thread->name(), thread->id(), m_name, m_file, m_line);
    }
    // No lost wake-up: the waiters bit is set with the queue's lock held,
    // before the thread is queued; an unlock that sees it wakes through the
    // same lock (sched/wait_queue.h).
    m_waiters.wait_until([this, self] { return take_or_mark_contended(self); });
}

bool Mutex::take_or_mark_contended(uintptr_t self)
{
    uintptr_t word = m_owner.load(lib::MemoryOrder::Relaxed);
    for (;;) {
        if (word == 0 || word == kWaitersBit) {
            // Others still queued keep the bit set, so this thread's unlock
            // wakes the next of them.
            uintptr_t taken = self | (m_waiters.empty() ? 0 : kWaitersBit);
            if (m_owner.compare_exchange(word, taken, lib::MemoryOrder::Acquire))
                return true;
        } else if ((word & kWaitersBit) != 0
            || m_owner.compare_exchange(word, word | kWaitersBit, lib::MemoryOrder::Relaxed)) {
            return false;
        }
        // The CAS failed: word holds the new value; look again.
    }
}

bool Mutex::try_lock(LockSite site)
{
    if (arch::in_interrupt_handler())
        PANIC("Mutex::try_lock of '{}' in an interrupt handler: the interrupted thread would own it", m_name);
    uintptr_t self = current_thread_word("Mutex::try_lock");
    uintptr_t expected = 0;
    if (!m_owner.compare_exchange(expected, self, lib::MemoryOrder::Acquire))
        return false;
    lock_acquired(sched::current_thread()->m_held_locks, m_class, this, site, LockAcquired::Really);
    return true;
}

void Mutex::unlock(LockSite site)
{
    auto self = reinterpret_cast<uintptr_t>(sched::current_thread());
    uintptr_t word = m_owner.load(lib::MemoryOrder::Relaxed);
    if (self == 0 || (word & ~kWaitersBit) != self)
        panic_not_owner(word);
    if (!lock_released(sched::current_thread()->m_held_locks, m_class, this, site))
        return; // a recursive acquisition's record (reported when taken)
    uintptr_t expected = self;
    if (m_owner.compare_exchange(expected, 0, lib::MemoryOrder::Release))
        return;
    // Contended: free it, then wake the longest waiter, which takes it
    // unless another thread got there first (then it queues again).
    m_owner.store(0, lib::MemoryOrder::Release);
    m_waiters.wake_one();
}

sched::Thread* Mutex::owner() const
{
    return reinterpret_cast<sched::Thread*>(m_owner.load(lib::MemoryOrder::Relaxed) & ~kWaitersBit);
}

bool Mutex::is_held_by_current_thread() const
{
    sched::Thread* self = sched::current_thread();
    return self != nullptr && owner() == self;
}

void Mutex::panic_not_owner(uintptr_t word) const
{
    sched::Thread* caller = sched::current_thread();
    auto* holder = reinterpret_cast<sched::Thread*>(word & ~kWaitersBit);
    const char* caller_name = caller != nullptr ? caller->name() : "(no thread)";
    uint64_t caller_id = caller != nullptr ? caller->id() : 0;
    if (holder == nullptr)
        PANIC("thread '{}' (id {}) unlocks mutex '{}' ({}:{}), which has no owner", caller_name, caller_id,
            m_name, m_file, m_line);
    PANIC("thread '{}' (id {}) unlocks mutex '{}' ({}:{}), owned by thread '{}' (id {})", caller_name,
        caller_id, m_name, m_file, m_line, holder->name(), holder->id());
}

} // namespace sync
