#include "arch/x86_64/apic_timer_setup.h"

#include "arch/cpu.h"
#include "arch/x86_64/local_apic_timer.h"
#include "arch/x86_64/vectors.h"
#include "drivers/acpi_pm_timer.h"
#include "drivers/clock_cross_check.h"
#include "drivers/kernel_tick.h"
#include "drivers/pit.h"
#include "kernel/log.h"
#include "sync/interrupt_guard.h"

namespace arch {
namespace {

using kernel::log;
using kernel::LogTag;

// A PM timer read is an I/O port read, which can stall (under TCG it waits
// for the emulator's lock), so it is taken between two reads of the APIC
// timer's count, a few times, and the narrowest pair dates it at its
// middle: the same bracketing as the TSC's measurement.
constexpr int kPmReadAttempts = 4;

struct Reading {
    uint64_t pm_counts;
    uint32_t apic_count;
    uint32_t bracket; // APIC counts between the reads around the PM read
};

Reading read_bracketed(drivers::PmStopwatch& stopwatch)
{
    sync::InterruptGuard guard;
    Reading reading {};
    reading.bracket = UINT32_MAX;
    for (int attempt = 0; attempt < kPmReadAttempts; ++attempt) {
        uint32_t before = local_apic_timer_count();
        uint64_t pm_counts = stopwatch.elapsed();
        uint32_t after = local_apic_timer_count(); // counts down
        if (before - after < reading.bracket)
            reading = { pm_counts, after + (before - after) / 2, before - after };
    }
    return reading;
}

struct Calibration {
    uint64_t input_hz; // the clock before the divider
    uint64_t apic_counts;
    uint64_t pm_counts;
    uint64_t bound_ppm;
};

Calibration measure(const Reading& start, const Reading& end)
{
    Calibration calibration {};
    calibration.apic_counts = start.apic_count - end.apic_count;
    calibration.pm_counts = end.pm_counts - start.pm_counts;
    calibration.bound_ppm = drivers::bracketed_rate_bound_ppm(
        calibration.apic_counts, start.bracket, end.bracket, calibration.pm_counts);
    calibration.input_hz = calibration.pm_counts == 0
        ? 0
        : calibration.apic_counts * kApicTimerDivisor * drivers::kPmTimerHz / calibration.pm_counts;
    return calibration;
}

// No fixed sleep: the window closes as soon as the figure is known well
// enough, which under QEMU takes a millisecond or two of PM time.
Calibration calibrate()
{
    start_local_apic_timer_countdown();
    drivers::PmStopwatch stopwatch;
    Reading start = read_bracketed(stopwatch);
    uint64_t min_window = drivers::pm_counts_for_at_least_us(kApicTimerCalibrationMinUs);
    uint64_t max_window = drivers::pm_counts_for_at_least_us(uint64_t { kApicTimerCalibrationMaxMs } * 1000);
    for (;;) {
        for (int spin = 0; spin < 1000; ++spin)
            cpu_relax();
        Calibration calibration = measure(start, read_bracketed(stopwatch));
        if (calibration.pm_counts >= max_window
            || (calibration.pm_counts >= min_window
                && calibration.bound_ppm <= kApicTimerCalibrationBoundPpm))
            return calibration;
    }
}

} // namespace

bool start_apic_timer(uint32_t requested_hz)
{
    if (!drivers::pm_timer_present()) {
        log(LogTag::Timer,
            "local APIC timer not used: no ACPI PM timer to calibrate it against; the PIT stays the tick");
        return false;
    }
    Calibration calibration = calibrate();
    uint64_t divided_hz = calibration.input_hz / kApicTimerDivisor;
    uint64_t initial_count = (divided_hz + requested_hz / 2) / requested_hz;
    if (initial_count == 0 || initial_count > UINT32_MAX) {
        log(LogTag::Timer,
            "warning: local APIC timer input clock {} Hz cannot give {} Hz at divide by {}; the PIT stays "
            "the tick",
            calibration.input_hz, requested_hz, kApicTimerDivisor);
        return false;
    }
    uint64_t millihertz = divided_hz * 1000 / initial_count;
    drivers::stop_pit();
    drivers::set_tick_rate(millihertz, drivers::TickSource::LocalApicTimer);
    start_periodic_local_apic_timer(static_cast<uint32_t>(initial_count), drivers::count_tick);
    uint64_t window_us = drivers::pm_counts_to_us(calibration.pm_counts);
    // The window ran to its limit without the bound coming down (PM reads
    // stalled at both ends): the figure is used, and said to be loose.
    if (calibration.bound_ppm > kApicTimerCalibrationBoundPpm)
        log(LogTag::Timer,
            "warning: local APIC timer calibration within only {} ppm after {}.{:03} ms (wanted {} ppm): the "
            "ACPI PM timer's reads stalled",
            calibration.bound_ppm, window_us / 1000, window_us % 1000, kApicTimerCalibrationBoundPpm);
    log(LogTag::Timer,
        "local APIC timer input clock {}.{:03} MHz against the ACPI PM timer ({} counts at divide by {} in "
        "{}.{:03} ms, one-shot, within {} ppm); the APs' timers run off the same clock and reuse it",
        calibration.input_hz / 1000000, calibration.input_hz / 1000 % 1000, calibration.apic_counts,
        kApicTimerDivisor, window_us / 1000, window_us % 1000, calibration.bound_ppm);
    log(LogTag::Timer,
        "local APIC timer periodic at {} Hz (asked for {}): initial count {}, divide by {}, vector {}; PIT "
        "stopped",
        drivers::timer_hz(), requested_hz, initial_count, kApicTimerDivisor,
        static_cast<unsigned>(kApicTimerVector));
    return true;
}

} // namespace arch
