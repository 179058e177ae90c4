#pragma once

// The 16550 UART behind COM1: polled output, 115200 8N1, FIFOs on where
// they work (a 16550A).
// Register layout from the TI/National PC16550D datasheet, table 2.

#include <stdint.h>

#include "arch/x86_64/io_port.h"
#include "lib/string_view.h"

namespace drivers {

class Uart16550 {
public:
    static constexpr uint16_t kCom1Base = 0x3F8;
    static constexpr uint32_t kClockHz = 115200; // divisor 1 gives this baud rate

    constexpr explicit Uart16550(uint16_t base)
        : m_base(base)
    {
    }

    // Programs the line and checks the chip with its own loopback mode.
    // Returns false when no working UART answers at this base.
    [[nodiscard]] bool init(uint32_t baud);

    bool is_ready() const { return m_ready; }
    // Whether init() found a 16550A's working FIFOs (IIR bits 7:6 after
    // FCR enabled them); the [SERIAL] line says which.
    bool fifo_enabled() const { return m_fifo_enabled; }
    uint16_t base() const { return m_base.number(); }

    // Waits until the transmitter can take a byte, so no byte is ever lost to
    // a full FIFO. A no-op when init() failed.
    void write_byte(uint8_t byte);
    void write(lib::StringView text);

    // Asks the UART to interrupt when a byte arrives (its IRQ line: 4 for
    // COM1; OUT2 in the modem control register gates it onto the bus).
    void enable_receive_interrupt();
    // The next received byte, if one is waiting.
    bool read_byte(uint8_t& byte);

private:
    arch::IoPort m_base;
    bool m_ready = false;
    bool m_fifo_enabled = false;
};

} // namespace drivers
