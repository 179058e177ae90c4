#pragma once

// Bytes typed at the serial terminal: COM1's receive interrupt (IRQ 4)
// only queues them. Everything slow happens later, outside the interrupt:
// either the console reads them, or the idle loop logs them as [SERIAL]
// lines, at a bounded rate, so that a flood of input never holds
// interrupts off long enough to lose a timer tick.

#include <stddef.h>
#include <stdint.h>

namespace drivers {

class Uart16550;

void init_serial_input(Uart16550& port);

struct SerialByte {
    uint8_t value;
    bool lost_before; // bytes were dropped (queue full) just before this one
};

// The next queued byte, if any.
bool read_serial_input(SerialByte& byte);

// Bytes dropped because the queue was full, since the last call.
size_t take_serial_input_dropped();

// Since the start: every byte that arrived on COM1, and those dropped of it.
struct SerialInputCounts {
    size_t arrived;
    size_t dropped;
};
SerialInputCounts serial_input_counts();

// For the idle loop: logs what was typed since the last call, each byte as
// a [SERIAL] line up to a limit a second and a summary line for the rest,
// and a [SERIAL] dropped line for bytes that were lost.
void log_serial_input();

} // namespace drivers
