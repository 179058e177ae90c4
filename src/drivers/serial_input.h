#pragma once

// Bytes typed at the serial terminal: COM1's receive interrupt (IRQ 4)
// queues them for the kernel, and each is logged as a [SERIAL] line.

#include <stdint.h>

namespace drivers {

class Uart16550;

void init_serial_input(Uart16550& port);

// The next queued byte, if any (the console issue reads from here).
bool read_serial_input(uint8_t& byte);

// Whether each byte is also logged as a [SERIAL] line: on, until the
// console takes the port.
void set_serial_input_logging(bool on);

} // namespace drivers
