#pragma once

// An interrupt-safe spinlock. Taking it disables interrupts first (an
// interrupt handler that wants the same lock on the same CPU would spin
// forever otherwise) and releasing it restores them. Use it through
// SpinlockGuard, or better, through Locked<T>.

#include <utility>

#include "arch/cpu.h"
#include "lib/atomic.h"
#include "sync/interrupt_guard.h"

namespace sync {

class Spinlock {
public:
    constexpr Spinlock() = default;
    Spinlock(const Spinlock&) = delete;
    Spinlock& operator=(const Spinlock&) = delete;

    // Called with interrupts off. interrupts_were_enabled: the caller's
    // state before it turned them off. While only waiting (holding
    // nothing) the CPU takes interrupts again when the caller allowed
    // them: a CPU that holds this lock and waits for every other CPU to
    // answer an IPI (a TLB shootdown) must never wait on one that spins
    // here deaf to it.
    void lock(bool interrupts_were_enabled = false)
    {
        // Test-and-test-and-set: spin on a plain load so waiting CPUs share
        // the cache line instead of bouncing it with atomic writes.
        while (m_locked.exchange(true, lib::MemoryOrder::Acquire)) {
            if (interrupts_were_enabled)
                arch::enable_interrupts();
            while (m_locked.load(lib::MemoryOrder::Relaxed))
                arch::cpu_relax();
            if (interrupts_were_enabled)
                arch::disable_interrupts();
        }
    }
    void unlock() { m_locked.store(false, lib::MemoryOrder::Release); }
    bool is_locked() const { return m_locked.load(lib::MemoryOrder::Relaxed); }

private:
    lib::Atomic<bool> m_locked = false;
};

class [[nodiscard]] SpinlockGuard {
public:
    explicit SpinlockGuard(Spinlock& lock)
        : m_lock(lock)
    {
        m_lock.lock(m_interrupts.were_enabled());
    }
    ~SpinlockGuard() { m_lock.unlock(); }
    SpinlockGuard(const SpinlockGuard&) = delete;
    SpinlockGuard& operator=(const SpinlockGuard&) = delete;

private:
    // Declared first, so destroyed last: interrupts come back on only after
    // the lock is released.
    InterruptGuard m_interrupts;
    Spinlock& m_lock;
};

// Data that can only be reached with its lock held.
template <typename T>
class Locked {
public:
    template <typename... Args>
    constexpr explicit Locked(Args&&... args)
        : m_value(std::forward<Args>(args)...)
    {
    }

    template <typename Function>
    decltype(auto) with(Function&& function)
    {
        SpinlockGuard guard(m_lock);
        return function(m_value);
    }

    // For a panic path that must print even when the lock's owner died
    // holding it: no lock, so only where nothing else can run.
    T& unsafe_unlocked() { return m_value; }

private:
    Spinlock m_lock;
    T m_value;
};

} // namespace sync
