#pragma once

// On the APIC path: calibrates the boot CPU's local APIC timer against the
// ACPI PM timer and makes it the kernel tick, periodic at the rate asked
// for; the PIT is stopped. The APs start theirs from the same figure as
// they come up (src/arch/x86_64/local_apic_timer.h). [TIMER] lines give
// the calibrated input clock and the programmed rate; the rate achieved is
// measured afterwards with the other clocks (clock_setup.h).

#include <stdint.h>

namespace arch {

// The calibration counts until its error bound (the PM reads' brackets
// and the PM timer's own quantum, drivers::bracketed_rate_bound_ppm) is
// within kApicTimerCalibrationBoundPpm: about 1 ms under QEMU when the
// reads are quick, longer when the emulator stalls them; never less than
// the minimum, and never more than the limit (a [TIMER] warning then says
// the bound was not reached).
inline constexpr uint32_t kApicTimerCalibrationBoundPpm = 1000;
inline constexpr uint32_t kApicTimerCalibrationMinUs = 1000;
inline constexpr uint32_t kApicTimerCalibrationMaxMs = 50;

// False (with a [TIMER] line saying why) when there is no clock to
// calibrate against: the PIT then stays the tick.
bool start_apic_timer(uint32_t requested_hz);

} // namespace arch
