#pragma once

// An interrupt-safe spinlock. Taking it disables interrupts first (an
// interrupt handler that wants the same lock on the same CPU would spin
// forever otherwise) and releasing it restores them. Use it through
// SpinlockGuard, or better, through Locked<T>.
//
// Every lock belongs to a class, its declaration site (LockSite
// of its constructor's caller) and an optional name: the lock-order
// validator (sync/lock_validator.h) checks each acquisition against the
// orders seen before it spins, and every acquisition is recorded on the
// CPU's held-lock stack (innermost_spinlock_held()), validator on or off.

#include "arch/cpu.h"
#include "arch/thread_context.h"
#include "lib/atomic.h"
#include "lib/utility.h"
#include "sync/interrupt_guard.h"
#include "sync/lock_validator.h"

namespace sync {

// The lock word and its validation, shared by the lock kinds.
class ValidatedSpinlock {
public:
    ValidatedSpinlock(const ValidatedSpinlock&) = delete;
    ValidatedSpinlock& operator=(const ValidatedSpinlock&) = delete;

    void unlock(LockSite released = LockSite::current())
    {
        // A lock this CPU does not hold (reported) is left alone: another
        // CPU may hold it.
        if (lock_released(this_cpu_spinlocks(), m_class, this, released))
            m_locked.store(false, lib::MemoryOrder::Release);
    }
    bool is_locked() const { return m_locked.load(lib::MemoryOrder::Relaxed); }
    const LockClassKey& lock_class() const { return m_class; }

protected:
    constexpr ValidatedSpinlock(const char* name, const LockSite& declared)
        : m_class { name, declared, 0 }
    {
    }

    // interrupts_were_enabled: the caller's state before it turned them off
    // (false for a kind that leaves them as they are: it never waits with
    // them on).
    void acquire(LockKind kind, bool interrupts_were_enabled, LockSite site)
    {
        HeldLockStack& held = this_cpu_spinlocks();
        // Before spinning: a report never waits on the deadlock it names,
        // and a lock this CPU holds already is not waited for at all.
        if (!lock_will_acquire(held, m_class, this, kind, site)) {
            lock_acquired(held, m_class, this, site, LockAcquired::Recursively);
            return;
        }
        // Test-and-test-and-set: spin on a plain load so waiting CPUs share
        // the cache line instead of bouncing it with atomic writes. While
        // only waiting (holding nothing) the CPU takes interrupts again when
        // the caller allowed them: a CPU that holds this lock and waits for
        // every other CPU to answer an IPI (a TLB shootdown) must never wait
        // on one that spins here deaf to it.
        while (m_locked.exchange(true, lib::MemoryOrder::Acquire)) {
            // Interrupts on while only waiting, but no preemption: the
            // held-lock record above is this CPU's, and the thread must
            // take the lock on the CPU that recorded it.
            if (interrupts_were_enabled) {
                arch::disable_preemption();
                arch::enable_interrupts();
            }
            while (m_locked.load(lib::MemoryOrder::Relaxed))
                arch::cpu_relax();
            if (interrupts_were_enabled) {
                arch::disable_interrupts();
                arch::enable_preemption();
            }
        }
        lock_acquired(held, m_class, this, site, LockAcquired::Really);
    }

private:
    lib::Atomic<bool> m_locked = false;
    LockClassKey m_class;
};

class Spinlock : public ValidatedSpinlock {
public:
    constexpr Spinlock(LockSite declared = LockSite::current())
        : ValidatedSpinlock(nullptr, declared)
    {
    }
    constexpr explicit Spinlock(const char* name, LockSite declared = LockSite::current())
        : ValidatedSpinlock(name, declared)
    {
    }

    // Called with interrupts off. interrupts_were_enabled: the caller's
    // state before it turned them off.
    void lock(bool interrupts_were_enabled = false, LockSite taken = LockSite::current())
    {
        acquire(LockKind::Spinlock, interrupts_were_enabled, taken);
    }
};

class [[nodiscard]] SpinlockGuard {
public:
    explicit SpinlockGuard(Spinlock& lock, LockSite taken = LockSite::current())
        : m_lock(lock)
    {
        m_lock.lock(m_interrupts.were_enabled(), taken);
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

// A spinlock that leaves interrupts as they are: only for data no interrupt
// handler ever touches (the validator reports a class taken both with
// interrupts on and in an interrupt handler). Cheaper than Spinlock by the
// interrupt flag's save and restore.
class NoIrqSpinlock : public ValidatedSpinlock {
public:
    constexpr NoIrqSpinlock(LockSite declared = LockSite::current())
        : ValidatedSpinlock(nullptr, declared)
    {
    }
    constexpr explicit NoIrqSpinlock(const char* name, LockSite declared = LockSite::current())
        : ValidatedSpinlock(name, declared)
    {
    }
    // Preemption stays off while it is held: the holder keeps its CPU (whose
    // held-lock record names it) and others never spin for a holder that
    // waits on a run queue.
    void lock(LockSite taken = LockSite::current())
    {
        arch::disable_preemption();
        acquire(LockKind::NoIrqSpinlock, false, taken);
    }
    void unlock(LockSite released = LockSite::current())
    {
        ValidatedSpinlock::unlock(released);
        arch::enable_preemption();
    }
};

class [[nodiscard]] NoIrqSpinlockGuard {
public:
    explicit NoIrqSpinlockGuard(NoIrqSpinlock& lock, LockSite taken = LockSite::current())
        : m_lock(lock)
    {
        m_lock.lock(taken);
    }
    ~NoIrqSpinlockGuard() { m_lock.unlock(); }
    NoIrqSpinlockGuard(const NoIrqSpinlockGuard&) = delete;
    NoIrqSpinlockGuard& operator=(const NoIrqSpinlockGuard&) = delete;

private:
    NoIrqSpinlock& m_lock;
};

// A lock's name and the place that declares it, from a string at the call:
// Locked<T> x { "frames", arguments... }.
struct LockName {
    constexpr LockName(const char* lock_name, LockSite where = LockSite::current())
        : name(lock_name)
        , declared(where)
    {
    }
    const char* name;
    LockSite declared;
};

// Data that can only be reached with its lock held. The lock's class is
// where the Locked is declared; one constructed with arguments is named.
template <typename T>
class Locked {
public:
    constexpr Locked(LockSite declared = LockSite::current())
        : m_lock(declared)
        , m_value()
    {
    }
    template <typename... Args>
    constexpr explicit Locked(LockName name, Args&&... args)
        : m_lock(name.name, name.declared)
        , m_value(lib::forward<Args>(args)...)
    {
    }

    template <typename Function>
    decltype(auto) with(Function&& function, LockSite taken = LockSite::current())
    {
        SpinlockGuard guard(m_lock, taken);
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
