// Kernel tests of interrupt state, the timer and a survivable exception.

#include <stdint.h>

#include "arch/fault_triggers.h"
#include "arch/interrupts.h"
#include "drivers/acpi_pm_timer.h"
#include "drivers/clock_cross_check.h"
#include "drivers/clock_measurement.h"
#include "drivers/kernel_tick.h"
#include "kernel/boot_profile.h"
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

// Ticks lost on purpose (interrupts off for three tick periods and more):
// the TSC's figure against the tick (PIT or local APIC timer) runs fast and is caught; the PM timer's
// is kept and agrees with the one the boot measured.
KTEST(interrupts, lost_ticks_do_not_skew_the_tsc_rate)
{
    KASSERT_TRUE(drivers::pm_timer_present());
    uint32_t off_ms = 30 + 3 * 1000 / drivers::timer_hz();
    drivers::ClockSample sample = drivers::measure_clocks(2 * off_ms, off_ms);
    KASSERT_TRUE(sample.tick_seen);
    drivers::TscFigures figures {};
    figures.pm_timer_khz = drivers::rate_khz(sample.tsc_cycles, sample.tsc_pm_counts, drivers::kPmTimerHz);
    figures.pit_khz
        = drivers::rate_khz(sample.tick_tsc_cycles, sample.ticks, drivers::timer_millihertz()) / 1000;
    drivers::TscVerdict verdict = drivers::judge_tsc_rate(figures);
    KEXPECT_TRUE(verdict.pit_disagrees);
    KEXPECT_GT(figures.pit_khz, figures.pm_timer_khz);
    KEXPECT_EQ(static_cast<int>(verdict.source), static_cast<int>(drivers::TscSource::PmTimer));
    KEXPECT_TRUE(
        drivers::agrees_within(verdict.khz, kernel::tsc_cycles_per_ms(), drivers::kClockTolerancePercent));
}

KTEST(interrupts, breakpoint_is_reported_and_survived)
{
    trigger_breakpoint();
    KEXPECT_TRUE(interrupts_enabled());
}

} // namespace arch
