#include "drivers/uart16550.h"

#include "drivers/uart16550_registers.h"

namespace drivers {
namespace {

using uart::FifoControl;
using uart::InterruptEnable;
using uart::InterruptIdentification;
using uart::LineControl;
using uart::LineStatus;
using uart::ModemControl;
using uart::Register;

// 8 data bits, one stop bit, no parity (8N1).
constexpr LineControl kLineControl8N1
    = LineControl().set_word_length(static_cast<uint8_t>(uart::WordLength::Bits8));
constexpr LineControl kLineControlDlab = LineControl().set_divisor_latch_access(true);
// FIFOs on and emptied; the receive interrupt waits for 14 bytes.
constexpr FifoControl kFifoEnableAndClear
    = FifoControl().set_enable(true).set_clear_receive(true).set_clear_transmit(true).set_receive_trigger(
        static_cast<uint8_t>(uart::ReceiveTrigger::Bytes14));
// DTR and RTS asserted, OUT2 on so the IRQ reaches the PIC.
constexpr ModemControl kModemNormal
    = ModemControl().set_data_terminal_ready(true).set_request_to_send(true).set_out2(true);
// Loopback for the self-test: the outputs feed the inputs, nothing leaves.
constexpr ModemControl kModemLoopback
    = ModemControl().set_request_to_send(true).set_out1(true).set_out2(true).set_loopback(true);
constexpr InterruptEnable kInterruptsOff;
constexpr InterruptEnable kInterruptOnReceivedData = InterruptEnable().set_received_data(true);

// The values the set-up wrote as pre-combined hex before it was built from fields.
static_assert(kLineControl8N1.value() == 0x03 && kLineControlDlab.value() == 0x80);
static_assert(kFifoEnableAndClear.value() == 0xC7);
static_assert(kModemNormal.value() == 0x0B && kModemLoopback.value() == 0x1E);
static_assert(kInterruptsOff.value() == 0x00 && kInterruptOnReceivedData.value() == 0x01);
static_assert(LineStatus(0x01).data_ready() && LineStatus(0x20).transmit_holding_empty());

constexpr uint8_t kLoopbackProbe = 0xAE;
// Bounded waits: a missing or wedged UART must not hang the boot.
constexpr uint32_t kLoopbackPollLimit = 100000;

arch::IoPort port(arch::IoPort base, Register reg)
{
    return base.offset(static_cast<uint16_t>(reg));
}

template <typename Fields>
void write_register(arch::IoPort base, Register reg, Fields fields)
{
    port(base, reg).write<uint8_t>(fields.value());
}

LineStatus read_line_status(arch::IoPort base)
{
    return LineStatus(port(base, Register::LineStatus).read<uint8_t>());
}

} // namespace

bool Uart16550::init(uint32_t baud)
{
    m_ready = false;
    if (baud == 0 || baud > kClockHz || kClockHz % baud != 0)
        return false;
    auto divisor = static_cast<uint16_t>(kClockHz / baud);

    write_register(m_base, Register::InterruptEnable, kInterruptsOff); // polled for now
    write_register(m_base, Register::LineControl, kLineControlDlab);
    port(m_base, Register::DivisorLow).write<uint8_t>(static_cast<uint8_t>(divisor & 0xFF));
    port(m_base, Register::DivisorHigh).write<uint8_t>(static_cast<uint8_t>(divisor >> 8));
    write_register(m_base, Register::LineControl, kLineControl8N1);
    write_register(m_base, Register::FifoControl, kFifoEnableAndClear);
    auto fifo = InterruptIdentification(port(m_base, Register::InterruptIdentification).read<uint8_t>());
    m_fifo_enabled = fifo.fifos_work();

    // Self-test: in loopback mode what we send comes straight back.
    write_register(m_base, Register::ModemControl, kModemLoopback);
    port(m_base, Register::Data).write<uint8_t>(kLoopbackProbe);
    bool echoed = false;
    for (uint32_t i = 0; i < kLoopbackPollLimit; ++i) {
        if (read_line_status(m_base).data_ready()) {
            echoed = port(m_base, Register::Data).read<uint8_t>() == kLoopbackProbe;
            break;
        }
    }
    if (!echoed)
        return false;

    write_register(m_base, Register::ModemControl, kModemNormal);
    m_ready = true;
    return true;
}

void Uart16550::write_byte(uint8_t byte)
{
    if (!m_ready)
        return;
    // Spin until the holding register is empty; a real UART drains it
    // in under 100 us at 115200 baud.
    while (!read_line_status(m_base).transmit_holding_empty()) { }
    port(m_base, Register::Data).write<uint8_t>(byte);
}

void Uart16550::enable_receive_interrupt()
{
    if (m_ready)
        write_register(m_base, Register::InterruptEnable, kInterruptOnReceivedData);
}

bool Uart16550::read_byte(uint8_t& byte)
{
    if (!m_ready || !read_line_status(m_base).data_ready())
        return false;
    byte = port(m_base, Register::Data).read<uint8_t>();
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
