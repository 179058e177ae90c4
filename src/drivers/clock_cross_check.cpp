#include "drivers/clock_cross_check.h"

namespace drivers {
namespace {

uint64_t scaled_rate(uint64_t events, uint64_t reference_counts, uint64_t reference_hz, uint64_t unit_hz_num,
    uint64_t unit_hz_den)
{
    uint64_t product = 0;
    if (reference_counts == 0 || __builtin_mul_overflow(events, reference_hz, &product)
        || __builtin_mul_overflow(product, unit_hz_num, &product))
        return 0;
    return product / reference_counts / unit_hz_den;
}

} // namespace

uint64_t rate_millihertz(uint64_t events, uint64_t reference_counts, uint64_t reference_hz)
{
    return scaled_rate(events, reference_counts, reference_hz, 1000, 1);
}

uint64_t rate_khz(uint64_t events, uint64_t reference_counts, uint64_t reference_hz)
{
    return scaled_rate(events, reference_counts, reference_hz, 1, 1000);
}

uint64_t bracketed_rate_bound_ppm(
    uint64_t counts, uint64_t start_bracket, uint64_t end_bracket, uint64_t reference_counts)
{
    constexpr uint64_t kPpm = 1000000;
    if (counts == 0 || reference_counts == 0 || counts > UINT64_MAX / 2)
        return UINT64_MAX;
    // (start + end) / 2 / counts + 1 / reference_counts, each rounded up;
    // the remainder decides the rounding, so no sum can wrap.
    uint64_t brackets = start_bracket + end_bracket;
    uint64_t product = 0;
    if (brackets < start_bracket || __builtin_mul_overflow(brackets, kPpm, &product))
        return UINT64_MAX;
    uint64_t from_brackets = product / (2 * counts) + (product % (2 * counts) != 0 ? 1 : 0);
    uint64_t from_quantum = kPpm / reference_counts + (kPpm % reference_counts != 0 ? 1 : 0);
    return from_brackets + from_quantum;
}

bool agrees_within(uint64_t measured, uint64_t expected, uint32_t percent)
{
    if (measured == 0 || expected == 0)
        return false;
    uint64_t difference = measured > expected ? measured - expected : expected - measured;
    // difference / expected <= percent / 100, without dividing.
    return difference * 100 <= expected * percent;
}

const char* tsc_source_name(TscSource source)
{
    switch (source) {
    case TscSource::PmTimer:
        return "the ACPI PM timer";
    case TscSource::Cpuid:
        return "CPUID";
    case TscSource::Pit:
        return "the PIT";
    case TscSource::None:
        break;
    }
    return "nothing";
}

TscVerdict judge_tsc_rate(const TscFigures& figures, uint32_t tolerance_percent)
{
    auto disagree
        = [&](uint64_t a, uint64_t b) { return a != 0 && b != 0 && !agrees_within(a, b, tolerance_percent); };
    TscVerdict verdict {};
    bool pit_and_cpuid_agree
        = figures.pit_khz != 0 && figures.cpuid_khz != 0 && !disagree(figures.pit_khz, figures.cpuid_khz);

    if (figures.pm_timer_khz != 0 && pit_and_cpuid_agree
        && disagree(figures.pm_timer_khz, figures.cpuid_khz)) {
        verdict = { TscSource::Cpuid, figures.cpuid_khz, true, false, false, true };
    } else if (figures.pm_timer_khz != 0) {
        verdict.source = TscSource::PmTimer;
        verdict.khz = figures.pm_timer_khz;
        verdict.pit_disagrees = disagree(figures.pit_khz, figures.pm_timer_khz);
        verdict.cpuid_disagrees = disagree(figures.cpuid_khz, figures.pm_timer_khz);
        verdict.cross_checked = (figures.pit_khz != 0 && !verdict.pit_disagrees)
            || (figures.cpuid_khz != 0 && !verdict.cpuid_disagrees);
    } else if (figures.cpuid_khz != 0) {
        verdict.source = TscSource::Cpuid;
        verdict.khz = figures.cpuid_khz;
        verdict.pit_disagrees = disagree(figures.pit_khz, figures.cpuid_khz);
        verdict.cross_checked = pit_and_cpuid_agree;
    } else if (figures.pit_khz != 0) {
        verdict.source = TscSource::Pit;
        verdict.khz = figures.pit_khz;
    }
    return verdict;
}

} // namespace drivers
