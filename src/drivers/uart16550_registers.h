#pragma once

// The 16550's registers as named fields (National Semiconductor PC16550D
// datasheet, Table 2 "Register Summary"), so the set-up reads like the
// datasheet instead of pre-combined hex. Pure: the static_asserts below
// check the fields against the datasheet's bit numbers.

#include <stdint.h>

#include "arch/x86_64/register_bits.h"

namespace drivers::uart {

// Register offsets from the base port. With LCR.DLAB set, offsets 0 and 1
// are the divisor latch.
enum class Register : uint16_t {
    Data = 0, // RBR on read, THR on write
    InterruptEnable = 1, // IER
    DivisorLow = 0, // DLL, DLAB = 1
    DivisorHigh = 1, // DLM, DLAB = 1
    FifoControl = 2, // FCR, write only
    InterruptIdentification = 2, // IIR, read only
    LineControl = 3, // LCR
    ModemControl = 4, // MCR
    LineStatus = 5, // LSR
};

// IER: which events raise the interrupt line.
struct InterruptEnable : arch::RegisterBits<InterruptEnable, uint8_t> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(received_data, 0)
    REGISTER_BIT(transmit_empty, 1)
    REGISTER_BIT(line_status, 2)
    REGISTER_BIT(modem_status, 3)
};

// FCR (write only).
enum class ReceiveTrigger : uint8_t { Bytes1 = 0, Bytes4 = 1, Bytes8 = 2, Bytes14 = 3 };
struct FifoControl : arch::RegisterBits<FifoControl, uint8_t> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(enable, 0)
    REGISTER_BIT(clear_receive, 1)
    REGISTER_BIT(clear_transmit, 2)
    REGISTER_BIT(dma_mode, 3)
    REGISTER_FIELD(receive_trigger, 6, 2) // a ReceiveTrigger
};

// IIR (read only). Bits 7:6 say what became of FCR's enable bit: both set
// on a 16550A, whose FIFOs work; 10 on the original 16550, whose FIFOs are
// not to be used; 00 on an 8250 or 16450, which has none.
enum class FifoState : uint8_t { None = 0, Unusable = 2, Enabled = 3 };
struct InterruptIdentification : arch::RegisterBits<InterruptIdentification, uint8_t> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(no_interrupt_pending, 0)
    REGISTER_FIELD(interrupt_id, 1, 3)
    REGISTER_FIELD(fifo_state, 6, 2) // a FifoState
    constexpr bool fifos_work() const { return fifo_state() == static_cast<uint8_t>(FifoState::Enabled); }
};
static_assert(InterruptIdentification(0xC1).fifos_work()); // 16550A, no interrupt pending
static_assert(!InterruptIdentification(0x81).fifos_work()); // 16550: FIFOs unusable
static_assert(!InterruptIdentification(0x01).fifos_work()); // 8250, 16450: none

// LCR.
enum class WordLength : uint8_t { Bits5 = 0, Bits6 = 1, Bits7 = 2, Bits8 = 3 };
struct LineControl : arch::RegisterBits<LineControl, uint8_t> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(word_length, 0, 2) // a WordLength
    REGISTER_BIT(two_stop_bits, 2) // 0: one stop bit
    REGISTER_BIT(parity_enable, 3)
    REGISTER_BIT(even_parity, 4)
    REGISTER_BIT(stick_parity, 5)
    REGISTER_BIT(break_control, 6)
    REGISTER_BIT(divisor_latch_access, 7) // DLAB
};

// MCR.
struct ModemControl : arch::RegisterBits<ModemControl, uint8_t> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(data_terminal_ready, 0) // DTR
    REGISTER_BIT(request_to_send, 1) // RTS
    REGISTER_BIT(out1, 2)
    REGISTER_BIT(out2, 3) // gates the IRQ line on PCs
    REGISTER_BIT(loopback, 4)
};

// LSR (read only).
struct LineStatus : arch::RegisterBits<LineStatus, uint8_t> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(data_ready, 0) // a received byte is waiting
    REGISTER_BIT(overrun_error, 1)
    REGISTER_BIT(parity_error, 2)
    REGISTER_BIT(framing_error, 3)
    REGISTER_BIT(break_interrupt, 4)
    REGISTER_BIT(transmit_holding_empty, 5) // THRE: the next byte may be written
    REGISTER_BIT(transmitter_empty, 6)
    REGISTER_BIT(fifo_error, 7)
};

} // namespace drivers::uart
