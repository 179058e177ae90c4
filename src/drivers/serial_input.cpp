#include "drivers/serial_input.h"

#include "drivers/interrupt_controller.h"
#include "drivers/pit.h"
#include "drivers/uart16550.h"
#include "kernel/log.h"
#include "lib/rate_limit.h"
#include "lib/ring_buffer.h"
#include "sync/interrupt_guard.h"

namespace drivers {
namespace {

constexpr uint8_t kCom1Irq = 4;
// Room for a pasted screenful and more; beyond it bytes are dropped, counted
// and reported, never silently lost.
constexpr size_t kQueueBytes = 4096;
constexpr uint32_t kLoggedBytesPerSecond = 32;

Uart16550* g_input_uart = nullptr;
lib::RingBuffer<kQueueBytes> g_input;
// Only the reader's side touches these (never the interrupt handler).
size_t g_bytes_dropped_reported = 0;
lib::RateLimit g_byte_log_limit(kLoggedBytesPerSecond, 1000);
uint64_t g_next_drop_report_ms = 0;

void on_com1_irq()
{
    // Drain the FIFO: one interrupt may stand for several bytes. Nothing but
    // queueing here: a log line per byte, written with interrupts off, once
    // cost enough timer ticks to make the TSC calibration read 253200 MHz.
    uint8_t byte = 0;
    while (g_input_uart->read_byte(byte))
        g_input.push(byte);
}

void log_byte(uint8_t byte)
{
    if (byte >= 0x20 && byte < 0x7F)
        kernel::log(kernel::LogTag::Serial, "received {:#04x} '{}'", byte, static_cast<char>(byte));
    else
        kernel::log(kernel::LogTag::Serial, "received {:#04x}", byte);
}

} // namespace

void init_serial_input(Uart16550& port)
{
    if (!port.is_ready())
        return;
    g_input_uart = &port;
    handle_irq(kCom1Irq, on_com1_irq);
    port.enable_receive_interrupt();
    kernel::log(kernel::LogTag::Serial, "COM1 input on IRQ 4");
}

bool read_serial_input(SerialByte& byte)
{
    sync::InterruptGuard guard; // the IRQ handler is the other end of the queue
    return g_input.pop(byte.value, byte.lost_before);
}

SerialInputCounts serial_input_counts()
{
    sync::InterruptGuard no_irq4; // both figures from one moment
    return { g_input.queued() + g_input.dropped(), g_input.dropped() };
}

size_t take_serial_input_dropped()
{
    sync::InterruptGuard guard;
    size_t dropped = g_input.dropped() - g_bytes_dropped_reported;
    g_bytes_dropped_reported += dropped;
    return dropped;
}

void log_serial_input()
{
    uint64_t now = uptime_ms();
    if (uint64_t held_back = g_byte_log_limit.take_held_back(now))
        kernel::log(kernel::LogTag::Serial,
            "received {} more bytes, not logged one by one (over {} a second)", held_back,
            g_byte_log_limit.limit());
    SerialByte byte {};
    while (read_serial_input(byte)) {
        if (g_byte_log_limit.allow(now))
            log_byte(byte.value);
    }
    // One report a second at most: under a flood, drops happen all the time.
    if (now < g_next_drop_report_ms)
        return;
    if (size_t dropped = take_serial_input_dropped()) {
        kernel::log(kernel::LogTag::Serial, "dropped {} bytes (input queue full)", dropped);
        g_next_drop_report_ms = now + 1000;
    }
}

} // namespace drivers
