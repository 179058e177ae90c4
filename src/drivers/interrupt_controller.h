#pragma once

// The one place drivers claim their ISA IRQ, whichever controller delivers
// it: the I/O APIC (with the MADT's overrides applied, end-of-interrupt to
// the local APIC) when the kernel chose APICs, the 8259 PICs otherwise. The
// handler runs in the interrupt; the end-of-interrupt follows it.

#include <stdint.h>

namespace drivers {

inline constexpr uint8_t kIsaIrqCount = 16;

using IrqHandler = void (*)();

// How an ISA IRQ arrives at the I/O APIC (the MADT's override, or identity).
struct IsaRoute {
    uint32_t gsi;
    bool active_low;
    bool level_triggered;
};

// From now on ISA IRQs go through the I/O APIC, to the local APIC with ID
// destination, as routes[irq] says. Only before any driver claimed an IRQ.
void use_io_apic(const IsaRoute (&routes)[kIsaIrqCount], uint32_t destination);

// Whether use_io_apic was called: the APIC path.
bool io_apic_in_use();

// Installs handler for irq and unmasks its line.
void handle_irq(uint8_t irq, IrqHandler handler);

// Interrupts delivered through the I/O APIC, per ISA IRQ.
uint64_t io_apic_irq_count(uint8_t irq);

} // namespace drivers
