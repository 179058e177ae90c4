#include "drivers/uart16550.h"

namespace drivers {
namespace {

// Register offsets from the base port (PC16550D table 2). With DLAB set in
// the line control register, offsets 0 and 1 are the divisor latch.
enum Register : uint16_t {
    kData = 0, // RBR on read, THR on write
    kInterruptEnable = 1, // IER
    kDivisorLow = 0, // DLL, DLAB = 1
    kDivisorHigh = 1, // DLM, DLAB = 1
    kFifoControl = 2, // FCR, write only
    kLineControl = 3, // LCR
    kModemControl = 4, // MCR
    kLineStatus = 5, // LSR
};

// LCR: word length 8 (bits 0-1 = 11), one stop bit, no parity; bit 7 = DLAB.
constexpr uint8_t kLineControl8N1 = 0x03;
constexpr uint8_t kLineControlDlab = 0x80;
// FCR: enable FIFOs, clear both, interrupt at 14 bytes.
constexpr uint8_t kFifoEnableAndClear = 0xC7;
// MCR: DTR, RTS and OUT2 (OUT2 gates the IRQ line on PCs); bit 4 = loopback.
constexpr uint8_t kModemNormal = 0x0B;
constexpr uint8_t kModemLoopback = 0x1E;
// LSR bit 0: a byte is waiting; bit 5: the transmit holding register is empty.
constexpr uint8_t kLineStatusDataReady = 0x01;
constexpr uint8_t kLineStatusTransmitEmpty = 0x20;

// IER bit 0: interrupt when received data is available.
constexpr uint8_t kInterruptOnReceivedData = 0x01;

constexpr uint8_t kLoopbackProbe = 0xAE;
// Bounded waits: a missing or wedged UART must not hang the boot.
constexpr uint32_t kPollLimit = 100000;

} // namespace

bool Uart16550::init(uint32_t baud)
{
    m_ready = false;
    if (baud == 0 || baud > kClockHz || kClockHz % baud != 0)
        return false;
    uint16_t divisor = static_cast<uint16_t>(kClockHz / baud);

    m_base.offset(kInterruptEnable).write<uint8_t>(0x00); // polled for now
    m_base.offset(kLineControl).write<uint8_t>(kLineControlDlab);
    m_base.offset(kDivisorLow).write<uint8_t>(static_cast<uint8_t>(divisor & 0xFF));
    m_base.offset(kDivisorHigh).write<uint8_t>(static_cast<uint8_t>(divisor >> 8));
    m_base.offset(kLineControl).write<uint8_t>(kLineControl8N1);
    m_base.offset(kFifoControl).write<uint8_t>(kFifoEnableAndClear);

    // Self-test: in loopback mode what we send comes straight back.
    m_base.offset(kModemControl).write<uint8_t>(kModemLoopback);
    m_base.offset(kData).write<uint8_t>(kLoopbackProbe);
    bool echoed = false;
    for (uint32_t i = 0; i < kPollLimit; ++i) {
        if (m_base.offset(kLineStatus).read<uint8_t>() & kLineStatusDataReady) {
            echoed = m_base.offset(kData).read<uint8_t>() == kLoopbackProbe;
            break;
        }
    }
    if (!echoed)
        return false;

    m_base.offset(kModemControl).write<uint8_t>(kModemNormal);
    m_ready = true;
    return true;
}

void Uart16550::write_byte(uint8_t byte)
{
    if (!m_ready)
        return;
    // Spin until the holding register is empty; a real UART drains it
    // in under 100 us at 115200 baud.
    while (!(m_base.offset(kLineStatus).read<uint8_t>() & kLineStatusTransmitEmpty)) { }
    m_base.offset(kData).write<uint8_t>(byte);
}

void Uart16550::enable_receive_interrupt()
{
    if (m_ready)
        m_base.offset(kInterruptEnable).write<uint8_t>(kInterruptOnReceivedData);
}

bool Uart16550::read_byte(uint8_t& byte)
{
    if (!m_ready || !(m_base.offset(kLineStatus).read<uint8_t>() & kLineStatusDataReady))
        return false;
    byte = m_base.offset(kData).read<uint8_t>();
    return true;
}

void Uart16550::write(lib::StringView text)
{
    for (char c : text) {
        // Terminals on the other end expect CR LF.
        if (c == '\n')
            write_byte('\r');
        write_byte(static_cast<uint8_t>(c));
    }
}

} // namespace drivers
