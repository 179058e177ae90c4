#pragma once

// The PS/2 keyboard behind the 8042 controller (IBM PC/AT technical
// reference; OSDev "8042 PS/2 Controller"): the controller is self-tested,
// the keyboard reset, and every key press logged as a [KBD] line from IRQ 1.

namespace drivers {

// Returns false (after logging why) when no working controller or keyboard
// answers; the boot goes on without one.
bool init_keyboard();

} // namespace drivers
