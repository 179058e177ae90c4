#pragma once

// One measurement of the PIT and the TSC against the ACPI PM timer.
//
// The TSC: cycles over PM counts across the whole window, each end read
// as a pair with interrupts off, so no interrupt latency enters.
//
// The PIT: the loop halts and, woken by each tick, notes the tick count
// and the PM time. A tick is seen at its edge or later, never earlier (the
// host may stall the emulator, the kernel may hold interrupts off), so of
// the ticks in the window's first third and in its last third, the one
// that came least late against the programmed beat is taken, and the rate
// is ticks over PM time between those two. A tick that never arrives
// (lost) still lowers the rate, as it should: the kernel's clock lost it.
//
// Without a PM timer the window is PIT time, and only the TSC is measured
// (against the PIT).

#include <stdint.h>

namespace drivers {

struct ClockSample {
    bool has_pm_timer;
    bool tick_seen; // false: no PIT tick within a second of PM time
    // Between the two chosen tick edges (PM time 0 without a PM timer).
    uint64_t ticks;
    uint64_t tick_pm_counts;
    uint64_t tick_tsc_cycles;
    // Across the whole window.
    uint64_t tsc_cycles;
    uint64_t tsc_pm_counts;
};

// The window is at least window_ms and at least kMinWindowTicks ticks.
inline constexpr uint32_t kMinWindowTicks = 5;

// Needs interrupts on. interrupts_off_ms > 0 keeps interrupts off for that
// much PM time at the window's start, so that PIT ticks are lost on
// purpose (the kernel tests use it to prove the PM timer's figure for the
// TSC survives that).
ClockSample measure_clocks(uint32_t window_ms, uint32_t interrupts_off_ms = 0);

// The TSC's rate as the CPU states it (CPUID leaf 15h, or the base
// frequency of leaf 16h), in kHz; 0 when it states none.
uint64_t cpuid_tsc_khz();

} // namespace drivers
