#pragma once

// The ACPI power-management timer (ACPI 6.4 4.8.3.3): a free-running
// counter at 3.579545 MHz, 24 or 32 bits wide, read from the I/O port the
// FADT names. It needs no interrupt, so no tick can be lost: the clock the
// kernel measures the PIT and the TSC against.

#include <stdint.h>

namespace drivers {

// From the FADT (acpi::PmTimerRegister); before this, there is no PM timer.
void init_pm_timer(uint16_t port, bool counts_32_bits);
bool pm_timer_present();
uint16_t pm_timer_port();
bool pm_timer_counts_32_bits();

// The raw counter (upper bits 0 on a 24-bit timer).
uint32_t read_pm_timer();

// PM timer counts since it was started, extended to 64 bits: elapsed()
// must be called at least once per wrap (4.68 s for a 24-bit counter).
class PmStopwatch {
public:
    PmStopwatch();
    uint64_t elapsed();
    // Counts since start at the counter value `now`, read by the caller.
    uint64_t elapsed_at(uint32_t now);

private:
    uint32_t m_last;
    uint64_t m_counts { 0 };
};

} // namespace drivers
