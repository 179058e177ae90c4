// Kernel tests of interrupt state, the timer and a survivable exception.

#include <stdint.h>

#include "arch/fault_triggers.h"
#include "arch/interrupts.h"
#include "drivers/acpi_pm_timer.h"
#include "drivers/clock_cross_check.h"
#include "drivers/clock_measurement.h"
#include "drivers/pit.h"
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

// Measured against the ACPI PM timer, a clock the PIT does not drive
// (QEMU's i440fx and q35 both have ACPI unless -no-acpi).
KTEST(interrupts, timer_ticks_advance_while_sleeping)
{
    KASSERT_TRUE(drivers::pm_timer_present());
    constexpr uint64_t kSleepMs = 100;
    uint64_t before = drivers::timer_ticks();
    drivers::PmStopwatch stopwatch;
    drivers::sleep_ms(kSleepMs);
    uint64_t slept_us = drivers::pm_counts_to_us(stopwatch.elapsed());
    uint64_t elapsed = drivers::timer_ticks() - before;
    // Whole ticks covering the sleep, rounded up (2 at 19 Hz, not 1).
    KEXPECT_GE(elapsed, (kSleepMs * drivers::timer_hz() + 999) / 1000);
    KEXPECT_GE(slept_us, kSleepMs * 1000); // never less than asked
    KEXPECT_LE(slept_us, 20 * kSleepMs * 1000); // TCG is slow, not that slow
}

// The rate the PIT delivers, against the PM timer, within 2% of the rate
// programmed. A window in which the emulator's host stalled long enough to
// merge ticks is measured again (three at most), as at boot.
KTEST(interrupts, pit_rate_matches_the_pm_timer)
{
    KASSERT_TRUE(drivers::pm_timer_present());
    uint64_t millihertz = 0;
    for (int window = 0; window < 3; ++window) {
        drivers::ClockSample sample = drivers::measure_clocks(50);
        KASSERT_TRUE(sample.tick_seen);
        millihertz = drivers::rate_millihertz(sample.ticks, sample.tick_pm_counts, drivers::kPmTimerHz);
        if (drivers::agrees_within(millihertz, drivers::timer_millihertz(), drivers::kClockTolerancePercent))
            break;
    }
    uint64_t programmed = drivers::timer_millihertz();
    uint64_t difference = millihertz > programmed ? millihertz - programmed : programmed - millihertz;
    KEXPECT_LE(difference * 100, programmed * drivers::kClockTolerancePercent);
}

// Ticks lost on purpose (interrupts off for three tick periods and more):
// the TSC's figure against the PIT runs fast and is caught; the PM timer's
// is kept and agrees with the one the boot measured.
KTEST(interrupts, lost_pit_ticks_do_not_skew_the_tsc_rate)
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
