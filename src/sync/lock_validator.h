#pragma once

// The lock-order validator ("lockdep", issue 14): every lock belongs to a
// class (sync/lock_site.h). Before a lock is taken, each class the context
// holds gives an order "held, then this"; the first order that closes a
// cycle with those seen before is a possible deadlock, reported with both
// acquisitions and their backtraces before the lock is waited for:
//
//   [LOCKDEP] possible deadlock: A (file:line) then B (file:line) here, but B then A at file:line earlier
//
// Also reported: releasing a lock the context does not hold, taking a lock
// it holds already (instead of spinning forever), and a class taken both
// in an interrupt handler and elsewhere with interrupts on. A report
// panics, except inside a kernel test, where it is counted and fails the
// test unless the test acknowledges it.
//
// Spinlocks are checked against the CPU's held-lock stack (interrupts are
// off while one is held); sleeping locks call the same entry points with
// the thread's own stack. The boot word lockdep=off turns the checks off;
// the held-lock records stay, for might_sleep().

#include <stddef.h>
#include <stdint.h>

#include "lib/atomic.h"
#include "sync/held_lock_stack.h"
#include "sync/lock_site.h"

namespace sync {

enum class LockKind : uint8_t {
    Spinlock, // interrupts off while held
    NoIrqSpinlock, // interrupts left as they were: never for data an interrupt handler touches
    Sleeping, // a blocking lock, held by a thread
};

// The calling CPU's stack of spinlocks held.
HeldLockStack& this_cpu_spinlocks();

// The entry points below run on every acquisition and release of every
// lock, so what lock_will_acquire and lock_released do with the validator
// off (check a flag, pop the record) is inline here, and only the
// validation and the reports are calls. Always inline: the release kernel
// is built for size, and a copy its compiler left out of line would be a
// frame of the validator's own in the backtrace of a release report
// (test_lockdep.py boots both kernels).
namespace validator {
// Defined constinit in lock_validator.cpp: the check cannot see that from
// here.
// NOLINTNEXTLINE(bugprone-dynamic-static-initializers)
extern lib::Atomic<bool> g_lockdep_enabled;
bool validate_acquisition(
    HeldLockStack& held, LockClassKey& key, const void* lock, LockKind kind, LockSite site);
bool release_not_held(const LockClassKey& key, LockSite site);
} // namespace validator

// Before waiting for `lock` (of class key) at `site`: checks the order
// against the locks `held`, records new orders, reports. False when the
// context holds the lock already (reported): it must not wait for it then,
// and records the acquisition with LockAcquired::Recursively.
[[gnu::always_inline]] inline bool lock_will_acquire(
    HeldLockStack& held, LockClassKey& key, const void* lock, LockKind kind, LockSite site)
{
    if (!validator::g_lockdep_enabled.load(lib::MemoryOrder::Relaxed))
        return true;
    return validator::validate_acquisition(held, key, lock, kind, site);
}

enum class LockAcquired : bool { Really, Recursively };
// Once the lock is taken (or given up on as recursive): pushes the record.
// A call of its own, not inline: the acquisition's backtrace starts at its
// caller, the lock's code, however the compiler inlined that.
void lock_acquired(
    HeldLockStack& held, const LockClassKey& key, const void* lock, LockSite site, LockAcquired how);

// Before releasing: pops the record. False when the lock must not be
// released: the context did not hold it (reported), or the record was a
// recursive acquisition that never took it.
[[gnu::always_inline]] inline bool lock_released(
    HeldLockStack& held, const LockClassKey& key, const void* lock, LockSite site)
{
    bool recursive = false;
    switch (held.remove(lock, recursive)) {
    case HeldLockStack::Removed::Recorded:
        return !recursive;
    case HeldLockStack::Removed::Uncounted:
        return true;
    case HeldLockStack::Removed::NotHeld:
        break;
    }
    return validator::release_not_held(key, site);
}

// Always on, validator or not: how many spinlocks the calling CPU holds
// and the innermost one (nullptr when none), for might_sleep()'s panic
// "sleeping with spinlock X (file:line) held". Its class names the lock;
// its acquisition says where it was taken.
size_t spinlocks_held();
const HeldLock* innermost_spinlock_held();

// On unless the boot word lockdep=off said otherwise; off for good once a
// table is full (said once on the log).
bool lockdep_enabled();
void set_lockdep_enabled(bool enabled);

// What a report does: panic (the default), or count it (the kernel test
// runner, so that the test fails instead of the boot).
enum class LockdepReportAction : uint8_t { Panic, Count };
void set_lockdep_report_action(LockdepReportAction action);

// Reports made since boot, and those no test has acknowledged yet: a test
// that provokes one on purpose checks lockdep_reports() went up and then
// acknowledges it; the runner fails a test that leaves one unacknowledged.
uint64_t lockdep_reports();
uint64_t lockdep_unacknowledged_reports();
void lockdep_acknowledge_reports();

// Forgets every order and interrupt use seen for the class, so that a test
// that provoked a report leaves no trace for the tests after it.
void lockdep_forget_class(const LockClassKey& key);

// "name (file:line)" of a class, for reports elsewhere (might_sleep).
struct LockClassText {
    char text[160];
};
LockClassText describe_lock_class(const LockClassKey& key);

} // namespace sync
