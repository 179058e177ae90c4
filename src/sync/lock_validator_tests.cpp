// Kernel tests of the lock-order validator (issue 14): each provokes one
// kind of report on locks of its own and checks it was made (the report
// count went up by one) without hanging, then acknowledges it and forgets
// its classes, so the runner does not fail it and later tests start clean.
// The correct orders must stay silent.

#include <stdint.h>

#include "arch/cpu.h"
#include "arch/interrupts.h"
#include "ktest/ktest.h"
#include "lib/atomic.h"
#include "sched/thread.h"
#include "sync/held_lock_stack.h"
#include "sync/interrupt_guard.h"
#include "sync/lock_order_graph.h"
#include "sync/lock_validator.h"
#include "sync/mutex.h"
#include "sync/spinlock.h"

namespace sync {
namespace {

// Two classes at two sites: the test's own, forgotten at its end.
struct TwoClasses {
    Spinlock first { "lockdep test A" };
    Spinlock second { "lockdep test B" };

    ~TwoClasses()
    {
        lockdep_forget_class(first.lock_class());
        lockdep_forget_class(second.lock_class());
    }
};

// The reports made since `before`, acknowledged so the runner does not fail
// the test for them.
uint64_t reports_since(uint64_t before)
{
    uint64_t made = lockdep_reports() - before;
    lockdep_acknowledge_reports();
    return made;
}

// Two mutex classes, for the sleeping-lock tests; forgotten at the end.
struct TwoMutexes {
    Mutex first { "lockdep test mutex A" };
    Mutex second { "lockdep test mutex B" };

    ~TwoMutexes()
    {
        lockdep_forget_class(first.lock_class());
        lockdep_forget_class(second.lock_class());
    }
};

// Run by a thread of its own: takes `outer` then `inner`, and lets go.
struct NestedMutexes {
    Mutex* outer;
    Mutex* inner;
};

uint64_t take_nested(void* argument)
{
    auto& nested = *static_cast<NestedMutexes*>(argument);
    nested.outer->lock();
    nested.inner->lock();
    nested.inner->unlock();
    nested.outer->unlock();
    return 0;
}

// Spawns a thread that takes the two mutexes in that order, and joins it.
bool take_in_a_thread(Mutex& outer, Mutex& inner)
{
    NestedMutexes nested { &outer, &inner };
    auto thread = sched::spawn("lockdep-order", take_nested, &nested);
    if (!thread)
        return false;
    sched::join(thread.value());
    return true;
}

} // namespace

KTEST(lockdep, opposite_orders_are_reported_before_waiting)
{
    if (!lockdep_enabled())
        KSKIP("lockdep=off");
    TwoClasses locks;
    uint64_t before = lockdep_reports();
    {
        SpinlockGuard a(locks.first);
        SpinlockGuard b(locks.second);
    }
    KEXPECT_EQ(lockdep_reports(), before);
    {
        SpinlockGuard b(locks.second);
        // Reported here, before it spins; both are free, so it then goes on.
        SpinlockGuard a(locks.first);
    }
    KEXPECT_EQ(reports_since(before), 1u);
    // Reported once: the order is known now.
    before = lockdep_reports();
    {
        SpinlockGuard b(locks.second);
        SpinlockGuard a(locks.first);
    }
    KEXPECT_EQ(reports_since(before), 0u);
}

KTEST(lockdep, one_order_taken_twice_is_silent)
{
    if (!lockdep_enabled())
        KSKIP("lockdep=off");
    TwoClasses locks;
    uint64_t before = lockdep_reports();
    for (int round = 0; round < 2; ++round) {
        SpinlockGuard a(locks.first);
        SpinlockGuard b(locks.second);
    }
    KEXPECT_EQ(reports_since(before), 0u);
}

KTEST(lockdep, a_cycle_through_a_third_class_is_reported)
{
    if (!lockdep_enabled())
        KSKIP("lockdep=off");
    TwoClasses locks;
    Spinlock third { "lockdep test C" };
    uint64_t before = lockdep_reports();
    {
        SpinlockGuard a(locks.first);
        SpinlockGuard b(locks.second);
    }
    {
        SpinlockGuard b(locks.second);
        SpinlockGuard c(third);
    }
    KEXPECT_EQ(lockdep_reports(), before);
    {
        SpinlockGuard c(third);
        SpinlockGuard a(locks.first);
    }
    KEXPECT_EQ(reports_since(before), 1u);
    lockdep_forget_class(third.lock_class());
}

KTEST(lockdep, releasing_a_lock_not_held_is_reported)
{
    if (!lockdep_enabled())
        KSKIP("lockdep=off");
    TwoClasses locks;
    uint64_t before = lockdep_reports();
    InterruptGuard interrupts_off;
    locks.first.unlock();
    KEXPECT_EQ(reports_since(before), 1u);
    KEXPECT_EQ(spinlocks_held(), 0u);
}

KTEST(lockdep, taking_a_held_lock_again_is_reported_not_waited_for)
{
    if (!lockdep_enabled())
        KSKIP("lockdep=off");
    TwoClasses locks;
    uint64_t before = lockdep_reports();
    size_t held_before = spinlocks_held();
    {
        SpinlockGuard a(locks.first);
        SpinlockGuard again(locks.first);
        KEXPECT_EQ(spinlocks_held(), held_before + 2);
    }
    KEXPECT_EQ(reports_since(before), 1u);
    // The inner release left the lock to the outer one, which released it.
    KEXPECT_FALSE(locks.first.is_locked());
    KEXPECT_EQ(spinlocks_held(), held_before);
}

KTEST(lockdep, a_lock_taken_with_interrupts_on_and_in_a_handler_is_reported)
{
    if (!lockdep_enabled())
        KSKIP("lockdep=off");
    KASSERT_TRUE(arch::interrupts_enabled());
    NoIrqSpinlock lock { "lockdep test interrupt-unsafe" };
    uint64_t before = lockdep_reports();
    {
        NoIrqSpinlockGuard interrupts_on(lock);
    }
    KEXPECT_EQ(lockdep_reports(), before);
    arch::run_in_interrupt_handler(
        +[](void* argument) { NoIrqSpinlockGuard in_handler(*static_cast<NoIrqSpinlock*>(argument)); },
        &lock);
    KEXPECT_EQ(reports_since(before), 1u);
    lockdep_forget_class(lock.lock_class());
}

KTEST(lockdep, an_interrupt_safe_lock_taken_in_a_handler_too_is_silent)
{
    Spinlock lock { "lockdep test interrupt-safe" };
    uint64_t before = lockdep_reports();
    {
        SpinlockGuard interrupts_off(lock);
    }
    arch::run_in_interrupt_handler(
        +[](void* argument) { SpinlockGuard in_handler(*static_cast<Spinlock*>(argument)); }, &lock);
    KEXPECT_EQ(reports_since(before), 0u);
    lockdep_forget_class(lock.lock_class());
}

// The validator's cost on the fast path: TSC cycles of an uncontended
// SpinlockGuard (interrupt flag saved and restored, lock and unlock), the
// fewest of several rounds (TCG and the host add noise only upwards), with
// the validator on and off, beside the bare lock word the old Spinlock was
// (interrupt guard, exchange, store). Printed for the figures; on
// must cost more than off, or the validator is not running.
KTEST(lockdep, cost_of_an_uncontended_lock_with_the_validator_on_and_off)
{
    if (!lockdep_enabled())
        KSKIP("lockdep=off");
    constexpr unsigned kRounds = 7;
    constexpr unsigned kLocksPerRound = 2000;
    Spinlock lock { "lockdep test cost" };
    uint64_t fewest[2] = { UINT64_MAX, UINT64_MAX }; // [0] off, [1] on
    uint64_t fewest_bare = UINT64_MAX;
    lib::Atomic<bool> bare_word = false;
    for (unsigned round = 0; round < kRounds; ++round) {
        uint64_t bare_start = arch::read_timestamp_counter();
        for (unsigned i = 0; i < kLocksPerRound; ++i) {
            InterruptGuard interrupts_off;
            while (bare_word.exchange(true, lib::MemoryOrder::Acquire))
                arch::cpu_relax();
            bare_word.store(false, lib::MemoryOrder::Release);
        }
        uint64_t bare = (arch::read_timestamp_counter() - bare_start) / kLocksPerRound;
        fewest_bare = bare < fewest_bare ? bare : fewest_bare;
        for (int on = 0; on < 2; ++on) {
            set_lockdep_enabled(on != 0);
            uint64_t start = arch::read_timestamp_counter();
            for (unsigned i = 0; i < kLocksPerRound; ++i) {
                SpinlockGuard guard(lock);
            }
            uint64_t cycles = (arch::read_timestamp_counter() - start) / kLocksPerRound;
            fewest[on] = cycles < fewest[on] ? cycles : fewest[on];
        }
    }
    set_lockdep_enabled(true);
    ktest_context.diagnostic(
        "uncontended SpinlockGuard lock+unlock: {} cycles with the validator off, {} on; bare lock word {}",
        fewest[0], fewest[1], fewest_bare);
    KEXPECT_LT(fewest[0], fewest[1]);
    lockdep_forget_class(lock.lock_class());
}

KTEST(lockdep, the_innermost_lock_held_is_known)
{
    TwoClasses locks;
    KEXPECT_EQ(innermost_spinlock_held(), nullptr);
    SpinlockGuard a(locks.first);
    const HeldLock* held = innermost_spinlock_held();
    KASSERT_TRUE(held != nullptr);
    KEXPECT_EQ(held->lock, static_cast<const void*>(&locks.first));
    KEXPECT_TRUE(held->key->name == locks.first.lock_class().name);
    KEXPECT_EQ(spinlocks_held(), 1u);
}

// Sleeping locks: the orders are the threads' (each has its own held-lock
// stack), and one thread's A-then-B against another's B-then-A is the
// deadlock two threads would meet. Taken one after the other here, so
// nothing waits; the second thread's order is reported all the same.
KTEST(lockdep, mutexes_taken_in_opposite_orders_by_two_threads_are_reported)
{
    if (!lockdep_enabled())
        KSKIP("lockdep=off");
    TwoMutexes mutexes;
    uint64_t before = lockdep_reports();
    KASSERT_TRUE(take_in_a_thread(mutexes.first, mutexes.second));
    KEXPECT_EQ(lockdep_reports(), before);
    KASSERT_TRUE(take_in_a_thread(mutexes.second, mutexes.first));
    KEXPECT_EQ(reports_since(before), 1u);
    KEXPECT_TRUE(mutexes.first.owner() == nullptr);
    KEXPECT_TRUE(mutexes.second.owner() == nullptr);
}

KTEST(lockdep, mutexes_taken_in_one_order_by_two_threads_are_silent)
{
    if (!lockdep_enabled())
        KSKIP("lockdep=off");
    TwoMutexes mutexes;
    uint64_t before = lockdep_reports();
    KASSERT_TRUE(take_in_a_thread(mutexes.first, mutexes.second));
    KASSERT_TRUE(take_in_a_thread(mutexes.first, mutexes.second));
    KEXPECT_EQ(reports_since(before), 0u);
}

// A thread locking a mutex it holds would wait for itself forever: the
// validator reports it and the lock returns; the inner unlock gives back
// only the record, the outer one the mutex.
KTEST(lockdep, a_mutex_taken_again_by_its_holder_is_reported_not_waited_for)
{
    if (!lockdep_enabled())
        KSKIP("lockdep=off");
    TwoMutexes mutexes;
    uint64_t before = lockdep_reports();
    mutexes.first.lock();
    mutexes.first.lock();
    KEXPECT_EQ(reports_since(before), 1u);
    mutexes.first.unlock();
    KEXPECT_TRUE(mutexes.first.is_held_by_current_thread());
    mutexes.first.unlock();
    KEXPECT_TRUE(mutexes.first.owner() == nullptr);
    KEXPECT_EQ(sched::current_thread()->m_held_locks.depth(), 0u);
}

// The validator's three fixed sizes: past any of them it says so once and
// turns itself off, rather than guess. Explicit only, and each test alone
// in its boot: nothing could turn the validator on again for the tests
// after it (test_lockdep.py boots each by its name and reads the line it
// logs).

// A lock's site of its own, so a class of its own: these tests' classes
// are told apart by line, from this one up.
constexpr uint32_t kFirstMadeUpLine = 100000;

// Why a test of this suite cannot run: the validator is off, by the boot
// word or because an earlier test of the suite in this boot turned it off
// (test=lockdep_capacity runs all three; the first passes, the others say
// so).
constexpr const char* kValidatorAlreadyOff
    = "the validator is off (lockdep=off, or an earlier lockdep_capacity test)";

// The held-lock stack records HeldLockStack::kCapacity spinlocks a CPU. One
// more is counted (its release balances it) but not recorded, so the
// validator could no longer see its orders.
KTEST_EXPLICIT(lockdep_capacity, a_spinlock_past_the_held_lock_stack_turns_the_validator_off, 0)
{
    if (!lockdep_enabled())
        KSKIP(kValidatorAlreadyOff);
    KASSERT_EQ(spinlocks_held(), 0u);
    constexpr size_t kRecorded = HeldLockStack::kCapacity;
    // One declaration, so one class: the order of two locks of a class is
    // never checked, and no report comes of their nesting.
    Spinlock locks[kRecorded + 1];
    uint64_t reports_before = lockdep_reports();
    bool on_with_the_stack_full = false;
    bool on_past_it = true;
    size_t held_past_it = 0;
    {
        InterruptGuard interrupts_off;
        for (size_t i = 0; i < kRecorded; ++i)
            locks[i].lock();
        on_with_the_stack_full = lockdep_enabled();
        locks[kRecorded].lock();
        on_past_it = lockdep_enabled();
        held_past_it = spinlocks_held();
        for (size_t i = kRecorded + 1; i-- > 0;)
            locks[i].unlock();
    }
    KEXPECT_TRUE(on_with_the_stack_full);
    KEXPECT_FALSE(on_past_it);
    KEXPECT_EQ(held_past_it, kRecorded + 1);
    KEXPECT_EQ(spinlocks_held(), 0u);
    KEXPECT_EQ(lockdep_reports(), reports_before);
}

// The class table holds kMaxLockClasses - 1 classes: new ones, each taken
// once, until the validator turns itself off, which must come within that
// many (the boot has registered classes of its own before).
KTEST_EXPLICIT(lockdep_capacity, a_class_past_the_class_table_turns_the_validator_off, 0)
{
    if (!lockdep_enabled())
        KSKIP(kValidatorAlreadyOff);
    uint64_t reports_before = lockdep_reports();
    uint32_t taken_while_on = 0;
    for (uint32_t i = 0; i < kMaxLockClasses && lockdep_enabled(); ++i) {
        Spinlock lock { "lockdep capacity test", LockSite { __FILE__, kFirstMadeUpLine + i } };
        SpinlockGuard guard(lock);
        if (lockdep_enabled())
            ++taken_while_on;
    }
    KEXPECT_FALSE(lockdep_enabled());
    KEXPECT_GT(taken_while_on, 0u);
    KEXPECT_LT(taken_while_on, static_cast<uint32_t>(kMaxLockClasses - 1));
    KEXPECT_EQ(spinlocks_held(), 0u);
    KEXPECT_EQ(lockdep_reports(), reports_before);
}

// The graph holds LockOrderGraph::kMaxEdges orders: each pair of kClasses
// new classes taken in one order (the lower line first, so never a cycle
// and never a report) makes more new orders than that.
KTEST_EXPLICIT(lockdep_capacity, an_order_past_the_graph_turns_the_validator_off, 0)
{
    constexpr uint32_t kClasses = 24;
    static_assert(kClasses * (kClasses - 1) / 2 > LockOrderGraph::kMaxEdges);
    if (!lockdep_enabled())
        KSKIP(kValidatorAlreadyOff);
    uint64_t reports_before = lockdep_reports();
    uint32_t pairs_taken = 0;
    for (uint32_t first = 0; first < kClasses && lockdep_enabled(); ++first) {
        for (uint32_t second = first + 1; second < kClasses && lockdep_enabled(); ++second) {
            Spinlock outer { "lockdep capacity test", LockSite { __FILE__, kFirstMadeUpLine + first } };
            Spinlock inner { "lockdep capacity test", LockSite { __FILE__, kFirstMadeUpLine + second } };
            SpinlockGuard outer_held(outer);
            SpinlockGuard inner_held(inner);
            ++pairs_taken;
        }
    }
    KEXPECT_FALSE(lockdep_enabled());
    KEXPECT_LT(pairs_taken, kClasses * (kClasses - 1) / 2);
    KEXPECT_EQ(spinlocks_held(), 0u);
    KEXPECT_EQ(lockdep_reports(), reports_before);
}

} // namespace sync
