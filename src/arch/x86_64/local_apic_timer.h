#pragma once

// The local APIC timer of each CPU (Intel SDM Vol. 3A 11.5.4): a 32-bit
// down-counter fed by the APIC bus clock (the core crystal on newer
// CPUs) through a divider, which raises kApicTimerVector when it reaches
// zero. Every CPU's timer runs off the same clock, so the boot CPU's
// calibration serves them all: each AP starts its own at the boot CPU's
// initial count, with no calibration of its own.

#include <stdint.h>

namespace arch {

// The divider: the bus clock over 16 keeps a tick of up to 1/19 s inside
// the 32-bit count even at a few GHz.
inline constexpr uint32_t kApicTimerDivisor = 16;

// Starts this CPU's timer counting down from 0xFFFFFFFF once, masked (no
// interrupt), at the divider: what the calibration reads.
void start_local_apic_timer_countdown();
uint32_t local_apic_timer_count();

// Called on the boot CPU's every timer interrupt (the kernel tick).
using ApicTickHandler = void (*)();

// Boot CPU: runs its timer periodic at vector kApicTimerVector, an
// interrupt every initial_count divided bus cycles; on_boot_cpu_tick runs
// in each. APs brought up later start theirs at the same count.
void start_periodic_local_apic_timer(uint32_t initial_count, ApicTickHandler on_boot_cpu_tick);
// AP, in its bring-up: starts its timer as the boot CPU's runs (nothing
// when the boot CPU runs none).
void start_ap_local_apic_timer();

// The count of timer interrupts each CPU took is arch::cpu_timer_ticks
// (arch/cpu.h): generic code reads it.

} // namespace arch
