#pragma once

// On the APIC path: calibrates the boot CPU's local APIC timer against the
// ACPI PM timer and makes it the kernel tick, periodic at the rate asked
// for; the PIT is stopped. The APs start theirs from the same figure as
// they come up (src/arch/x86_64/local_apic_timer.h). [TIMER] lines give
// the calibrated input clock and the programmed rate; the rate achieved is
// measured afterwards with the other clocks (clock_setup.h).

#include <stdint.h>

namespace arch {

// How long the calibration counts, in PM timer time.
inline constexpr uint32_t kApicTimerCalibrationMs = 50;

// False (with a [TIMER] line saying why) when there is no clock to
// calibrate against: the PIT then stays the tick.
bool start_apic_timer(uint32_t requested_hz);

} // namespace arch
