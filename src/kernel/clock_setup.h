#pragma once

// Once the timer interrupt is on: measures the tick's rate (the local APIC
// timer's, or the PIT's on the 8259 path) and the TSC's against the ACPI PM
// timer, cross-checks the TSC's figure with the tick's and CPUID's, prints
// the figures ([TIMER] lines, a warning naming both figures where two
// disagree) and hands the TSC's rate to the boot profile.

#include <stdint.h>

namespace kernel {

// Long enough that a few milliseconds of host stall under TCG stay inside
// the 2% the rates are held to; the boot waits this long (plus up to two
// tick edges).
inline constexpr uint32_t kClockMeasurementMs = 50;
// Windows measured at most while PIT ticks go missing (a host stall).
inline constexpr uint32_t kMaxMeasurementWindows = 3;

// requested_hz is what the command line asked the tick for.
void measure_and_report_clocks(uint32_t requested_hz);

} // namespace kernel
