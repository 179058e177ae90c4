#include "kernel/clock_setup.h"

#include "drivers/acpi_pm_timer.h"
#include "drivers/clock_cross_check.h"
#include "drivers/clock_measurement.h"
#include "drivers/pit.h"
#include "kernel/boot_profile.h"
#include "kernel/log.h"
#include "sync/interrupt_guard.h"

namespace kernel {
namespace {

// A figure in thousandths, as "<whole>.<three digits>".
struct Thousandths {
    uint64_t whole;
    uint64_t fraction;
};
Thousandths thousandths(uint64_t value)
{
    return Thousandths { value / 1000, value % 1000 };
}

bool apic_timer_ticks()
{
    return drivers::tick_source() == drivers::TickSource::LocalApicTimer;
}

// The tick's source as the rate lines name it, and as the warnings do.
const char* tick_name()
{
    return apic_timer_ticks() ? "local APIC timer" : "PIT channel 0";
}
const char* tick_short_name()
{
    return apic_timer_ticks() ? "local APIC timer" : "PIT";
}

void report_tick_rate(const drivers::ClockSample& sample, uint32_t requested_hz)
{
    uint32_t hz = drivers::timer_hz();
    if (!sample.has_pm_timer) {
        log(LogTag::Timer,
            "{} at {} Hz (asked for {}), rate not measured: no ACPI PM timer, no clock "
            "independent of "
            "the PIT",
            tick_name(), hz, requested_hz);
        return;
    }
    if (!sample.tick_seen) {
        log(LogTag::Timer, "warning: {} at {} Hz (asked for {}): no tick within a second of ACPI PM time",
            tick_name(), hz, requested_hz);
        return;
    }
    uint64_t millihertz = drivers::rate_millihertz(sample.ticks, sample.tick_pm_counts, drivers::kPmTimerHz);
    Thousandths rate = thousandths(millihertz);
    Thousandths window = thousandths(drivers::pm_counts_to_us(sample.tick_pm_counts));
    log(LogTag::Timer,
        "{} at {} Hz (asked for {}), measured {}.{:03} Hz against the ACPI PM timer: {} "
        "ticks in {}.{:03} ms",
        tick_name(), hz, requested_hz, rate.whole, rate.fraction, sample.ticks, window.whole,
        window.fraction);
    if (drivers::agrees_within(millihertz, drivers::timer_millihertz(), drivers::kClockTolerancePercent))
        return;
    // Too slow: interrupts were lost (a stalled emulator merges them). Too
    // fast: late ticks came in a burst (QEMU's local APIC timer catches up
    // after a host stall), or the timer is programmed wrong.
    bool slow = millihertz < drivers::timer_millihertz();
    log(LogTag::Timer, "warning: the {} delivered {}.{:03} Hz, more than {}% {} the {} Hz programmed: {}",
        tick_short_name(), rate.whole, rate.fraction, drivers::kClockTolerancePercent,
        slow ? "below" : "above", hz, slow ? "ticks were lost" : "more ticks came than were programmed");
}

void warn_disagreement(const char* other_name, uint64_t other_khz, const drivers::TscVerdict& verdict)
{
    Thousandths other = thousandths(other_khz);
    Thousandths used = thousandths(verdict.khz);
    log(LogTag::Timer,
        "warning: TSC {}.{:03} MHz against {} disagrees with {}.{:03} MHz against {} by more than {}%; using "
        "{}",
        other.whole, other.fraction, other_name, used.whole, used.fraction,
        drivers::tsc_source_name(verdict.source), drivers::kClockTolerancePercent,
        drivers::tsc_source_name(verdict.source));
}

uint32_t window_ms(const drivers::ClockSample& sample)
{
    if (sample.has_pm_timer)
        return static_cast<uint32_t>(drivers::pm_counts_to_us(sample.tsc_pm_counts) / 1000);
    return static_cast<uint32_t>(sample.ticks * 1000 / drivers::timer_hz());
}

void report_tsc_rate(const drivers::ClockSample& sample)
{
    drivers::TscFigures figures {};
    if (sample.tick_seen && sample.has_pm_timer)
        figures.pm_timer_khz
            = drivers::rate_khz(sample.tsc_cycles, sample.tsc_pm_counts, drivers::kPmTimerHz);
    // Cycles over ticks at the programmed rate: right only if no tick was lost.
    if (sample.tick_seen && sample.ticks > 0)
        figures.pit_khz
            = drivers::rate_khz(sample.tick_tsc_cycles, sample.ticks, drivers::timer_millihertz()) / 1000;
    figures.cpuid_khz = drivers::cpuid_tsc_khz();
    drivers::TscVerdict verdict = drivers::judge_tsc_rate(figures);

    if (verdict.pm_timer_disagrees)
        warn_disagreement("the ACPI PM timer", figures.pm_timer_khz, verdict);
    // The figure against the tick is against whichever timer drives it.
    const char* tick_timer = apic_timer_ticks() ? "the local APIC timer" : "the PIT";
    if (verdict.pit_disagrees)
        warn_disagreement(tick_timer, figures.pit_khz, verdict);
    if (verdict.cpuid_disagrees)
        warn_disagreement("CPUID", figures.cpuid_khz, verdict);
    if (verdict.source == drivers::TscSource::None) {
        log(LogTag::Timer, "TSC not calibrated: no clock to measure it against");
        return;
    }
    Thousandths used = thousandths(verdict.khz);
    Thousandths pit = thousandths(figures.pit_khz);
    Thousandths cpuid = thousandths(figures.cpuid_khz);
    log(LogTag::Timer,
        "TSC {}.{:03} MHz against {}{} ({}'s figure {}.{:03} MHz, CPUID's {}.{:03} MHz; 0 is none)",
        used.whole, used.fraction, drivers::tsc_source_name(verdict.source),
        verdict.cross_checked ? ", cross-checked" : ", not cross-checked", tick_timer, pit.whole,
        pit.fraction, cpuid.whole, cpuid.fraction);
    set_boot_clock(verdict.khz, drivers::tsc_source_name(verdict.source), window_ms(sample));
}

bool lost_ticks(const drivers::ClockSample& sample)
{
    uint64_t millihertz = drivers::rate_millihertz(sample.ticks, sample.tick_pm_counts, drivers::kPmTimerHz);
    return !drivers::agrees_within(millihertz, drivers::timer_millihertz(), drivers::kClockTolerancePercent);
}

} // namespace

void measure_and_report_clocks(uint32_t requested_hz)
{
    uint64_t before = drivers::timer_ticks();
    drivers::ClockSample sample = drivers::measure_clocks(kClockMeasurementMs);
    // Under emulation a host stall can merge ticks in one window; a PIT that
    // runs at the wrong rate is wrong in every window. Each window that
    // lost ticks is reported, and the last one measured is the one shown:
    // a warning only if that one is wrong too (report_tick_rate).
    for (uint32_t window = 1;
         window < kMaxMeasurementWindows && sample.has_pm_timer && sample.tick_seen && lost_ticks(sample);
         ++window) {
        Thousandths rate
            = thousandths(drivers::rate_millihertz(sample.ticks, sample.tick_pm_counts, drivers::kPmTimerHz));
        log(LogTag::Timer, "measurement window {} lost ticks ({}.{:03} Hz delivered); measuring again",
            window, rate.whole, rate.fraction);
        sample = drivers::measure_clocks(kClockMeasurementMs);
    }
    uint64_t after = 0;
    uint64_t uptime = 0;
    {
        sync::InterruptGuard same_tick; // the two figures from one tick count
        after = drivers::timer_ticks();
        uptime = drivers::uptime_ms();
    }
    report_tick_rate(sample, requested_hz);
    report_tsc_rate(sample);
    log(LogTag::Timer, "interrupts on: ticks {} -> {} across the measurement, uptime {} ms", before, after,
        uptime);
}

} // namespace kernel
