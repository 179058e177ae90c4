// The fault word lockdep-abba: two locks taken in one order, then in the
// other, on one CPU. Nothing deadlocks (nothing else takes them), but the
// lock-order validator must name the second order before it waits, with
// both acquisition sites, and end the boot. test/test_lockdep.py finds the
// sites by the marker comments on their lines.

#include "kernel/fault_kind.h"
#include "kernel/panic.h"
#include "sync/spinlock.h"

namespace sync {
namespace {

Spinlock g_abba_first { "abba first" };
Spinlock g_abba_second { "abba second" };

[[gnu::noinline]] void take_first_then_second()
{
    SpinlockGuard first(g_abba_first); // lockdep-abba: first, then
    SpinlockGuard second(g_abba_second); // lockdep-abba: second after first
}

[[gnu::noinline]] void take_second_then_first()
{
    SpinlockGuard second(g_abba_second); // lockdep-abba: second, then
    SpinlockGuard first(g_abba_first); // lockdep-abba: first after second
}

void take_locks_in_opposite_orders()
{
    take_first_then_second();
    take_second_then_first();
    PANIC("lockdep-abba: the opposite order went unreported (lock-order validator {})",
        lockdep_enabled() ? "on" : "off");
}

} // namespace

FAULT_KIND(lockdep_abba, 330, "lockdep-abba",
    "the lock-order validator: two locks taken A then B, then B then A, reported before waiting", EndsTheBoot,
    take_locks_in_opposite_orders);

} // namespace sync
