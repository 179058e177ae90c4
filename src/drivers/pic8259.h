#pragma once

// The two cascaded 8259A interrupt controllers of the PC (Intel 8259A
// datasheet; the slave sits on the master's IRQ 2). Remapped to vectors
// 32..47 so IRQs do not collide with CPU exceptions; every line stays masked
// until a driver claims it with handle_irq().

#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"
#include "drivers/interrupt_controller.h"

namespace drivers {

inline constexpr uint8_t kIrqCount = kIsaIrqCount;

void init_pic();
// The vector of IRQ 0; IRQ n arrives at pic_first_vector() + n.
uint8_t pic_first_vector();

// Installs handler for irq and unmasks the line (and the cascade for the
// slave's lines). The PIC code sends the end-of-interrupt after it returns.
// Drivers call handle_irq (interrupt_controller.h), which picks the controller.
void pic_handle_irq(uint8_t irq, IrqHandler handler);

struct PicStatistics {
    uint64_t interrupts[kIrqCount];
    uint64_t spurious_irq7;
    uint64_t spurious_irq15;
};
PicStatistics pic_statistics();

// The IMR bits as they are now (1 = masked), master in the low byte.
uint16_t pic_masks();

} // namespace drivers
