#include "drivers/serial_input.h"

#include "drivers/pic8259.h"
#include "drivers/uart16550.h"
#include "kernel/log.h"
#include "lib/atomic.h"
#include "lib/ring_buffer.h"
#include "sync/interrupt_guard.h"

namespace drivers {
namespace {

constexpr uint8_t kCom1Irq = 4;

Uart16550* g_port = nullptr;
lib::RingBuffer<256> g_input;
lib::Atomic<bool> g_logging = true;

void on_com1_irq()
{
    // Drain the FIFO: one interrupt may stand for several bytes.
    uint8_t byte = 0;
    while (g_port->read_byte(byte)) {
        g_input.push(byte);
        if (!g_logging.load(lib::MemoryOrder::Relaxed))
            continue;
        if (byte >= 0x20 && byte < 0x7F)
            kernel::log(kernel::LogTag::Serial, "received {:#04x} '{}'", byte, static_cast<char>(byte));
        else
            kernel::log(kernel::LogTag::Serial, "received {:#04x}", byte);
    }
}

} // namespace

void init_serial_input(Uart16550& port)
{
    if (!port.is_ready())
        return;
    g_port = &port;
    handle_irq(kCom1Irq, on_com1_irq);
    port.enable_receive_interrupt();
    kernel::log(kernel::LogTag::Serial, "COM1 input on IRQ 4");
}

void set_serial_input_logging(bool on)
{
    g_logging.store(on, lib::MemoryOrder::Relaxed);
}

bool read_serial_input(uint8_t& byte)
{
    sync::InterruptGuard guard; // the IRQ handler is the other end of the queue
    return g_input.pop(byte);
}

} // namespace drivers
