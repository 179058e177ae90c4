#pragma once

// The kernel's tick: a count of timer interrupts on the boot CPU, at a
// known rate, whichever timer delivers them (the PIT on the 8259 path, the
// boot CPU's local APIC timer on the APIC path). Uptime, sleeps and the
// kernel test watchdog count on it.

#include <stdint.h>

namespace drivers {

inline constexpr uint32_t kDefaultTimerHz = 1000;
inline constexpr uint32_t kMinTimerHz = 19; // the PIT's divisor 65535 gives 18.2 Hz
inline constexpr uint32_t kMaxTimerHz = 10000;

enum class TickSource : uint8_t { None, Pit, LocalApicTimer };

// The timer that drives the tick states its rate exactly as programmed, in
// thousandths of a hertz, before its first interrupt.
void set_tick_rate(uint64_t millihertz, TickSource source);
// Called by that timer's interrupt handler, once per interrupt.
void count_tick();

uint64_t timer_ticks();

// Called on every tick, in the interrupt handler, with the new tick count
// (one observer: the kernel test watchdog). nullptr removes it.
using TickObserver = void (*)(uint64_t ticks);
void set_tick_observer(TickObserver observer);
// Every CPU's own timer interrupt (each local APIC timer; the PIT's on the
// 8259 path, where only the boot CPU has one) calls count_cpu_tick, which
// calls the handler set here (the scheduler's: time slices and sleepers).
using CpuTickHandler = void (*)();
void set_cpu_tick_handler(CpuTickHandler handler);
void count_cpu_tick();

uint32_t timer_hz();
// The rate exactly as programmed, in thousandths of a hertz: timer_hz() is
// this to the nearest hertz (a calibrated 62.49999 MHz over a count of 62500
// is 1000 Hz, not 999).
uint64_t timer_millihertz();
TickSource tick_source();
uint64_t uptime_ms();

// Waits at least ms milliseconds, halting between ticks. Interrupts must
// be on, or it would never return; it panics instead.
void sleep_ms(uint64_t ms);

} // namespace drivers
