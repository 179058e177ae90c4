#pragma once

// The 8253/8254 programmable interval timer, channel 0 on IRQ 0: the
// kernel's tick on the 8259 path. (Intel 82C54 datasheet; the PC feeds it
// 1.193182 MHz.)

#include <stdint.h>

#include "drivers/kernel_tick.h" // the tick it drives

namespace drivers {

inline constexpr uint32_t kPitInputHz = 1193182;

// Programs channel 0, claims IRQ 0 and makes it the kernel tick. Returns
// the rate actually set, to the nearest hertz (the divisor is a whole
// number).
uint32_t init_pit(uint32_t hz);

// Stops channel 0 (the firmware leaves it running at 18.2 Hz): when the
// local APIC timer is the tick, nothing else should wake the machine.
void stop_pit();

} // namespace drivers
