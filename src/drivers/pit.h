#pragma once

// The 8253/8254 programmable interval timer, channel 0 on IRQ 0: the
// kernel's tick. (Intel 82C54 datasheet; the PC feeds it 1.193182 MHz.)

#include <stdint.h>

namespace drivers {

inline constexpr uint32_t kPitInputHz = 1193182;
inline constexpr uint32_t kDefaultTimerHz = 1000;
inline constexpr uint32_t kMinTimerHz = 19; // divisor 65535 gives 18.2 Hz
inline constexpr uint32_t kMaxTimerHz = 10000;

// Programs channel 0 and claims IRQ 0. Returns the rate actually set (the
// divisor is a whole number).
uint32_t init_pit(uint32_t hz);

uint64_t timer_ticks();

// Called on every tick, in the interrupt handler, with the new tick count
// (one observer: the kernel test watchdog). nullptr removes it.
using TickObserver = void (*)(uint64_t ticks);
void set_tick_observer(TickObserver observer);
uint32_t timer_hz();
// The rate exactly as programmed (input clock over the divisor), in
// thousandths of a hertz: timer_hz() is this rounded down.
uint64_t timer_millihertz();
uint64_t uptime_ms();

// Waits at least ms milliseconds, halting between ticks. Interrupts must
// be on, or it would never return; it panics instead.
void sleep_ms(uint64_t ms);

} // namespace drivers
