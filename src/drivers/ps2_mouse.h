#pragma once

// The PS/2 mouse on the 8042's second port: the port self-tested and
// enabled, the mouse reset and its ID read, IntelliMouse scroll-wheel mode
// asked for (sample rates 200, 100, 80, then the ID again: 3 when granted),
// and data reporting on. IRQ 12 only queues bytes; they are decoded into
// packets (ps2_mouse_packets.h) when read, outside the interrupt.

namespace drivers {

// After init_keyboard (which self-tests the controller). Returns false,
// after a [MOUSE] line saying why, when port 2 or the mouse does not
// answer; the boot goes on without one.
bool init_mouse();

// For the idle loop: logs each decoded packet as a [MOUSE] line (moves,
// button changes, wheel turns), up to a limit a second and a summary line
// for the rest, and the bytes dropped to regain the packet boundary.
void log_mouse_input();

} // namespace drivers
