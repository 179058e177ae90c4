// Kernel tests of interrupt state, the timer and a survivable exception.

#include <stdint.h>

#include "arch/fault_triggers.h"
#include "arch/interrupts.h"
#include "drivers/pit.h"
#include "ktest/ktest.h"
#include "sync/interrupt_guard.h"
#include "sync/spinlock.h"

namespace arch {

KTEST(interrupts, tests_run_with_interrupts_on)
{
    KEXPECT_TRUE(interrupts_enabled());
}

KTEST(interrupts, guards_turn_interrupts_off_and_restore_them)
{
    {
        sync::InterruptGuard outer;
        KEXPECT_FALSE(interrupts_enabled());
        {
            sync::InterruptGuard inner;
            KEXPECT_FALSE(interrupts_enabled());
        }
        KEXPECT_FALSE(interrupts_enabled()); // the inner guard found them off
    }
    KEXPECT_TRUE(interrupts_enabled());
    sync::Spinlock lock;
    {
        sync::SpinlockGuard held(lock);
        KEXPECT_TRUE(lock.is_locked());
        KEXPECT_FALSE(interrupts_enabled());
    }
    KEXPECT_FALSE(lock.is_locked());
    KEXPECT_TRUE(interrupts_enabled());
}

KTEST(interrupts, timer_ticks_advance_while_sleeping)
{
    uint64_t before = drivers::timer_ticks();
    drivers::sleep_ms(50);
    uint64_t elapsed = drivers::timer_ticks() - before;
    uint64_t expected = 50ull * drivers::timer_hz() / 1000;
    KEXPECT_GE(elapsed, expected);
    KEXPECT_LE(elapsed, expected * 20); // TCG is slow, not that slow
}

KTEST(interrupts, breakpoint_is_reported_and_survived)
{
    trigger_breakpoint();
    KEXPECT_TRUE(interrupts_enabled());
}

} // namespace arch
