#pragma once

// Once the timer interrupt is on: measures the tick's rate (the local APIC
// timer's, or the PIT's on the 8259 path) and the TSC's against the ACPI PM
// timer, cross-checks the TSC's figure with the tick's and CPUID's, prints
// the figures ([TIMER] lines, a warning naming both figures where two
// disagree) and hands the TSC's rate to the boot profile.

#include <stdint.h>

namespace kernel {

// The tick's rate is checked over this much PM time (plus up to two tick
// edges, and at least drivers::kMinWindowTicks ticks); the boot waits that
// long. The rate is taken between the least late ticks of the window's
// first and last thirds, at least a third of the window apart (3.4 ms at
// 10 ms): one tick's lateness at each end, microseconds under QEMU, against
// the 2% (about 70 us there) the rate is held to. A host stall that merges
// ticks fails a window outright, so windows are short and retried rather
// than long enough to absorb one.
inline constexpr uint32_t kClockMeasurementMs = 10;
// Windows measured at most while ticks go missing (a host stall): 50 ms in
// all at 1000 Hz; at low rates each window is five ticks (263 ms at 19 Hz).
inline constexpr uint32_t kMaxMeasurementWindows = 5;

// requested_hz is what the command line asked the tick for.
void measure_and_report_clocks(uint32_t requested_hz);

} // namespace kernel
