// Rates from counts, the PM timer's wrap, and which TSC figure is believed
// when the clocks disagree.

#include "drivers/clock_cross_check.h"

#include <gtest/gtest.h>

namespace {

using drivers::TscSource;

TEST(ClockCrossCheck, PmTimerDeltaWrapsAtItsWidth)
{
    EXPECT_EQ(drivers::pm_timer_delta(100, 250, false), 150u);
    EXPECT_EQ(drivers::pm_timer_delta(0xFFFFFF, 0x000000, false), 1u);
    EXPECT_EQ(drivers::pm_timer_delta(0xFFFF00, 0x000100, false), 0x200u);
    EXPECT_EQ(drivers::pm_timer_delta(0xFFFFFF00, 0x00000100, true), 0x200u);
    // A 32-bit counter does not wrap at 2^24.
    EXPECT_EQ(drivers::pm_timer_delta(0xFFFF00, 0x1000100, true), 0x200u);
}

TEST(ClockCrossCheck, AWindowOfAtLeastSomeMicrosecondsReadsBackAsAtLeastThat)
{
    // The kernel's windows (a 1 ms APIC timer calibration at least, 10 ms
    // of clock measurement) are printed through pm_counts_to_us, and the
    // boot tests check them against those minimums.
    for (uint64_t us = 1; us <= 100'000; ++us) {
        uint64_t counts = drivers::pm_counts_for_at_least_us(us);
        ASSERT_GE(drivers::pm_counts_to_us(counts), us) << us;
        ASSERT_LT((counts - 1) * 1'000'000, us * drivers::kPmTimerHz) << us; // and no count more than needed
    }
    EXPECT_EQ(drivers::pm_counts_for_at_least_us(1000), 3580u);
    EXPECT_EQ(drivers::pm_counts_for_at_least_us(10'000), 35796u);
    // What truncating gave: one count short of the millisecond.
    EXPECT_EQ(drivers::pm_counts_to_us(1000 * drivers::kPmTimerHz / 1'000'000), 999u);
}

TEST(ClockCrossCheck, RatesFromCounts)
{
    // 1000 ticks in exactly one second of PM time.
    EXPECT_EQ(drivers::rate_millihertz(1000, drivers::kPmTimerHz, drivers::kPmTimerHz), 1000000u);
    // 19 ticks in 3579545 * 19 / 18.2 counts: 18.2 Hz, to the thousandth.
    EXPECT_EQ(drivers::rate_millihertz(182, drivers::kPmTimerHz * 10, drivers::kPmTimerHz), 18200u);
    // 2.6e9 cycles in one second, and 1.3e9 in half of one: 2.6 GHz.
    EXPECT_EQ(drivers::rate_khz(2600000000, drivers::kPmTimerHz, drivers::kPmTimerHz), 2600000u);
    EXPECT_EQ(drivers::rate_khz(1300000000, drivers::kPmTimerHz, 2 * drivers::kPmTimerHz), 2600000u);
    EXPECT_EQ(drivers::rate_khz(5, 0, drivers::kPmTimerHz), 0u);
    EXPECT_EQ(drivers::rate_khz(~0ull, 1, drivers::kPmTimerHz), 0u); // would overflow
}

TEST(ClockCrossCheck, TheBoundOfABracketedRateIsHalfEachBracketPlusOneReferenceCount)
{
    // 1,000,000 counts, brackets of 100 and 300: 200 counts, 200 ppm; one
    // count in 10,000 of the reference: 100 ppm.
    EXPECT_EQ(drivers::bracketed_rate_bound_ppm(1000000, 100, 300, 10000), 300u);
    // Perfect brackets still leave the reference's quantum, rounded up.
    EXPECT_EQ(drivers::bracketed_rate_bound_ppm(1000000, 0, 0, 3), 333334u);
    // Half a count of bracket over 3 counts rounds up too: 166,667 ppm.
    EXPECT_EQ(drivers::bracketed_rate_bound_ppm(3, 1, 0, 1000000), 166668u);
    // A longer window shrinks both terms.
    EXPECT_LT(drivers::bracketed_rate_bound_ppm(2000000, 100, 300, 20000),
        drivers::bracketed_rate_bound_ppm(1000000, 100, 300, 10000));
    EXPECT_EQ(drivers::bracketed_rate_bound_ppm(0, 1, 1, 10), UINT64_MAX);
    EXPECT_EQ(drivers::bracketed_rate_bound_ppm(10, 1, 1, 0), UINT64_MAX);
    EXPECT_EQ(drivers::bracketed_rate_bound_ppm(10, ~0ull, 2, 10), UINT64_MAX); // would overflow
    EXPECT_EQ(drivers::bracketed_rate_bound_ppm(10, ~0ull / 2, 0, 10), UINT64_MAX);
    // Counts past 2^63 would wrap the divisor; a product near the top of
    // 64 bits must still round up, not wrap to almost nothing.
    EXPECT_EQ(drivers::bracketed_rate_bound_ppm(~0ull, 0, 0, 10), UINT64_MAX);
    EXPECT_EQ(drivers::bracketed_rate_bound_ppm(300000, 18446744073709ull, 0, 1000000), 30744573456183u);
}

TEST(ClockCrossCheck, AgreementIsWithinThePercentBothWays)
{
    EXPECT_TRUE(drivers::agrees_within(1020, 1000, 2));
    EXPECT_TRUE(drivers::agrees_within(980, 1000, 2));
    EXPECT_FALSE(drivers::agrees_within(1021, 1000, 2));
    EXPECT_FALSE(drivers::agrees_within(979, 1000, 2));
    EXPECT_FALSE(drivers::agrees_within(0, 1000, 2));
}

TEST(ClockCrossCheck, AllAgreeingUsesThePmTimer)
{
    auto verdict = drivers::judge_tsc_rate({ 2596000, 2597000, 2595000 });
    EXPECT_EQ(verdict.source, TscSource::PmTimer);
    EXPECT_EQ(verdict.khz, 2596000u);
    EXPECT_TRUE(verdict.cross_checked);
    EXPECT_FALSE(verdict.pit_disagrees || verdict.cpuid_disagrees || verdict.pm_timer_disagrees);
}

TEST(ClockCrossCheck, LostPitTicksAreCaughtAndThePitFigureNotUsed)
{
    // The reported case: ticks lost while COM1 was flooded, 253200 MHz.
    auto verdict = drivers::judge_tsc_rate({ 2596000, 253200000, 0 });
    EXPECT_EQ(verdict.source, TscSource::PmTimer);
    EXPECT_EQ(verdict.khz, 2596000u);
    EXPECT_TRUE(verdict.pit_disagrees);
    EXPECT_FALSE(verdict.cross_checked);
}

TEST(ClockCrossCheck, APmTimerOutvotedByThePitAndCpuidIsNotUsed)
{
    auto verdict = drivers::judge_tsc_rate({ 1300000, 2600000, 2600000 });
    EXPECT_EQ(verdict.source, TscSource::Cpuid);
    EXPECT_EQ(verdict.khz, 2600000u);
    EXPECT_TRUE(verdict.pm_timer_disagrees);
}

TEST(ClockCrossCheck, WithoutAPmTimerCpuidBeatsThePit)
{
    auto verdict = drivers::judge_tsc_rate({ 0, 9000000, 2600000 });
    EXPECT_EQ(verdict.source, TscSource::Cpuid);
    EXPECT_TRUE(verdict.pit_disagrees);
    EXPECT_FALSE(verdict.cross_checked);
    verdict = drivers::judge_tsc_rate({ 0, 2601000, 2600000 });
    EXPECT_TRUE(verdict.cross_checked);
}

TEST(ClockCrossCheck, ThePitAloneIsUsedButNotCrossChecked)
{
    auto verdict = drivers::judge_tsc_rate({ 0, 2600000, 0 });
    EXPECT_EQ(verdict.source, TscSource::Pit);
    EXPECT_FALSE(verdict.cross_checked);
    EXPECT_EQ(drivers::judge_tsc_rate({ 0, 0, 0 }).source, TscSource::None);
}

} // namespace
