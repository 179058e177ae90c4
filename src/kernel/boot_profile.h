#pragma once

// Where boot time goes: each phase of the boot is stamped with the time
// stamp counter as it ends, the TSC's rate comes from the clock measurement
// once the timer runs (kernel/clock_setup.h), and one "[BOOT] phase <name>: <us> us" line a phase is
// printed before the ready line (ci/benchmark.sh tabulates and charts them).
// The first stamp is taken by the trampoline at boot_entry.

#include <stdint.h>

namespace kernel {

// The phase that just ended; name must be a string literal.
void end_boot_phase(const char* name);

// The TSC's rate, as judged against `against` (a clock's name) over a
// window of window_ms.
void set_boot_clock(uint64_t tsc_khz, const char* against, uint32_t window_ms);

// Prints the phases and the total, in microseconds.
void report_boot_profile();

// "[BOOT] TSC at boot_entry <n>, at the ready line <m>": the counter's
// absolute values, firmware and boot loader included. Under QEMU's -icount
// the TSC counts the guest's instructions (shift=0: one a nanosecond), the
// same on every run: ci/benchmark.py sets them beside the floor kernel's.
void report_ready_tsc();

// TSC cycles a millisecond, as calibrated (0 before set_boot_clock).
uint64_t tsc_cycles_per_ms();

} // namespace kernel
