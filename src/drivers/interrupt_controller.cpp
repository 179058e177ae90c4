#include "drivers/interrupt_controller.h"

#include "arch/x86_64/idt.h"
#include "arch/x86_64/io_apic.h"
#include "arch/x86_64/local_apic.h"
#include "arch/x86_64/vectors.h"
#include "drivers/pic8259.h"
#include "kernel/panic.h"
#include "lib/atomic.h"

namespace drivers {
namespace {

bool g_io_apic = false;
IsaRoute g_routes[kIsaIrqCount];
uint32_t g_destination = 0;
IrqHandler g_isa_irq_handlers[kIsaIrqCount];
lib::Atomic<uint64_t> g_counts[kIsaIrqCount];

void dispatch_io_apic(arch::InterruptFrame& frame)
{
    auto irq = static_cast<uint8_t>(frame.vector - arch::kIoApicIsaBaseVector);
    g_counts[irq].fetch_add(1, lib::MemoryOrder::Relaxed);
    if (g_isa_irq_handlers[irq] != nullptr)
        g_isa_irq_handlers[irq]();
    arch::local_apic_end_of_interrupt();
}

} // namespace

void use_io_apic(const IsaRoute (&routes)[kIsaIrqCount], uint32_t destination)
{
    for (uint8_t irq = 0; irq < kIsaIrqCount; ++irq)
        g_routes[irq] = routes[irq];
    g_destination = destination;
    g_io_apic = true;
}

bool io_apic_in_use()
{
    return g_io_apic;
}

void handle_irq(uint8_t irq, IrqHandler handler)
{
    if (!g_io_apic) {
        pic_handle_irq(irq, handler);
        return;
    }
    g_isa_irq_handlers[irq] = handler;
    auto vector = static_cast<uint8_t>(arch::kIoApicIsaBaseVector + irq);
    arch::set_interrupt_handler(vector, dispatch_io_apic);
    const IsaRoute& route = g_routes[irq];
    if (!arch::route_gsi(route.gsi, vector, route.active_low, route.level_triggered, g_destination))
        PANIC("ISA IRQ {}: no I/O APIC serves its GSI {}", irq, route.gsi);
}

uint64_t io_apic_irq_count(uint8_t irq)
{
    return g_counts[irq].load(lib::MemoryOrder::Relaxed);
}

} // namespace drivers
