#pragma once

// Rates from counts, and which figure for the TSC's rate to believe when
// the clocks disagree. Pure arithmetic, host-tested: the kernel measures,
// this decides.
//
// The PIT is counted in interrupts, and an interrupt that arrives while
// the previous one is still pending (interrupts off for too long) is lost:
// a rate derived from PIT ticks then runs fast. The ACPI PM timer is a
// free-running counter read directly, so it loses nothing.

#include <stdint.h>

namespace drivers {

// ACPI 6.4 4.8.3.3: the PM timer counts at 3.579545 MHz.
inline constexpr uint64_t kPmTimerHz = 3579545;

// Microseconds in a count of PM timer ticks, truncated.
constexpr uint64_t pm_counts_to_us(uint64_t counts)
{
    return counts * 1'000'000 / kPmTimerHz;
}

// The fewest PM timer counts that span at least `us` microseconds: rounded
// up, so that pm_counts_to_us gives back at least `us`. Truncated, a 1 ms
// window was 3579 counts, 999.85 us, and printed as 0.999 ms.
constexpr uint64_t pm_counts_for_at_least_us(uint64_t us)
{
    return (us * kPmTimerHz + 999'999) / 1'000'000;
}

// How far two figures for one rate may differ and still agree.
inline constexpr uint32_t kClockTolerancePercent = 2;

// Counts from earlier to later on a counter of 24 or 32 bits that wrapped
// at most once in between.
constexpr uint32_t pm_timer_delta(uint32_t earlier, uint32_t later, bool counts_32_bits)
{
    uint32_t mask = counts_32_bits ? 0xFFFFFFFFu : 0x00FFFFFFu;
    return (later - earlier) & mask;
}

// events over the time reference_counts of a reference_hz clock: the rate
// in thousandths of a hertz, or in kHz. 0 when reference_counts is 0 or
// the product would overflow.
uint64_t rate_millihertz(uint64_t events, uint64_t reference_counts, uint64_t reference_hz);
uint64_t rate_khz(uint64_t events, uint64_t reference_counts, uint64_t reference_hz);

// The error bound, in parts per million, of a rate measured as `counts` of
// one clock over `reference_counts` of a reference, where each end's
// reference read was taken between two reads of the measured clock that
// were `start_bracket` and `end_bracket` counts apart: each end is dated at
// its bracket's middle, so off by at most half its width, and the
// reference's count is off by less than one. Rounded up; UINT64_MAX when
// either count is 0.
uint64_t bracketed_rate_bound_ppm(
    uint64_t counts, uint64_t start_bracket, uint64_t end_bracket, uint64_t reference_counts);

// Whether measured is within percent of expected (both non-zero).
bool agrees_within(uint64_t measured, uint64_t expected, uint32_t percent);

enum class TscSource : uint8_t { None, PmTimer, Cpuid, Pit };
const char* tsc_source_name(TscSource source);

// The three figures for the TSC's rate, in kHz; 0 where there is none.
struct TscFigures {
    uint64_t pm_timer_khz; // cycles against the ACPI PM timer
    uint64_t pit_khz; // cycles against PIT ticks
    uint64_t cpuid_khz; // what CPUID leaf 15h or 16h states
};

struct TscVerdict {
    TscSource source;
    uint64_t khz; // 0 when source is None
    bool pm_timer_disagrees;
    bool pit_disagrees;
    bool cpuid_disagrees;
    bool cross_checked; // another figure agreed with the one used
};

// The PM timer's figure when there is one, unless the PIT's and CPUID's
// agree with each other against it; then CPUID's (a stated rate) over the
// PIT's; the PIT's alone is used but not cross-checked.
TscVerdict judge_tsc_rate(const TscFigures& figures, uint32_t tolerance_percent = kClockTolerancePercent);

} // namespace drivers
