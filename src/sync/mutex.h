#pragma once

// A blocking lock for threads: a thread that finds it taken sleeps on a
// wait queue (no CPU time) until the holder unlocks. Use it where the
// holder may block (sleep, allocate with waiting, wait for a device or
// another thread); use a Spinlock for short sections that interrupt
// handlers share. Never from an interrupt handler or with interrupts off:
// lock() checks (sched::might_sleep).
//
//     sync::Mutex table_lock("table");
//     {
//         sync::MutexGuard guard(table_lock);
//         ...                                  // may sleep here
//     }
//
// Ownership is recorded: an unlock by another thread, or a second lock by
// the holder (which would wait for itself for ever), panics naming the
// threads. Each mutex carries a lock class, its name and the place it was
// declared, for the lock-order validator.

#include <stdint.h>

#include "lib/atomic.h"
#include "lib/utility.h"
#include "sched/wait_queue.h"
#include "sync/lock_site.h"

namespace sched {
class Thread;
}

namespace sync {

class Mutex {
public:
    // The lock class is the declaration site: file and line default to the
    // caller's.
    explicit Mutex(const char* name, const char* file = __builtin_FILE(), uint32_t line = __builtin_LINE())
        : m_class { name, LockSite { file, line } }
        , m_name(name)
        , m_file(file)
        , m_line(line)
    {
    }
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    // Blocks until the calling thread holds it. The lock-order validator
    // checks the order against the thread's other locks first (a report
    // comes before a deadlock, not after); site: where it is taken.
    void lock(LockSite site = LockSite::current());
    // Takes it when free, without waiting; false when another thread holds it.
    bool try_lock(LockSite site = LockSite::current());
    // Only the holder may unlock; wakes the longest waiter.
    void unlock(LockSite site = LockSite::current());

    // The holder, or nullptr: a snapshot, for reports and assertions.
    sched::Thread* owner() const;
    bool is_held_by_current_thread() const;

    const char* name() const { return m_name; }
    const LockClassKey& lock_class() const { return m_class; }
    const char* file() const { return m_file; }
    uint32_t line() const { return m_line; }

private:
    // The owner word: the holder's Thread*, with kWaitersBit set while
    // threads may be queued, so an unlock without it is one CAS and no
    // wait queue lock. Thread objects are at least 8-aligned.
    static constexpr uintptr_t kWaitersBit = 1;

    void lock_contended(uintptr_t self);
    // Under the wait queue's lock: takes the mutex when free (marking it
    // contended when others still wait), else marks it contended so that
    // the holder's unlock wakes a waiter; true when taken.
    bool take_or_mark_contended(uintptr_t self);
    [[noreturn]] void panic_not_owner(uintptr_t word) const;
    lib::Atomic<uintptr_t> m_owner = 0;
    // The lock class for the validator: name and declaration site.
    LockClassKey m_class;
    sched::WaitQueue m_waiters;
    const char* m_name;
    const char* m_file;
    uint32_t m_line;
};

class [[nodiscard]] MutexGuard {
public:
    explicit MutexGuard(Mutex& mutex, LockSite site = LockSite::current())
        : m_mutex(mutex)
    {
        m_mutex.lock(site);
    }
    ~MutexGuard() { m_mutex.unlock(); }
    MutexGuard(const MutexGuard&) = delete;
    MutexGuard& operator=(const MutexGuard&) = delete;

    Mutex& mutex() { return m_mutex; }

private:
    Mutex& m_mutex;
};

// Data that can only be reached with its mutex held; the Mutex of
// Locked<T> (src/sync/spinlock.h), for data whose users may sleep.
template <typename T>
class Mutexed {
public:
    explicit Mutexed(const char* name, const char* file = __builtin_FILE(), uint32_t line = __builtin_LINE())
        : m_mutex(name, file, line)
        , m_value()
    {
    }
    Mutexed(const char* name, T value, const char* file = __builtin_FILE(), uint32_t line = __builtin_LINE())
        : m_mutex(name, file, line)
        , m_value(lib::move(value))
    {
    }

    template <typename Function>
    decltype(auto) with(Function&& function)
    {
        MutexGuard guard(m_mutex);
        return function(m_value);
    }

    Mutex& mutex() { return m_mutex; }

private:
    Mutex m_mutex;
    T m_value;
};

} // namespace sync
