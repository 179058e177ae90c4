#pragma once

// The PS/2 keyboard behind the 8042 controller (IBM PC/AT technical
// reference; OSDev "8042 PS/2 Controller"): the controller is self-tested,
// the keyboard reset, and every key press logged as a [KBD] line from IRQ 1.

namespace drivers {

// Returns false (after logging why) when no working controller or keyboard
// answers; the boot goes on without one.
bool init_keyboard();

// The characters of key presses, queued for the console (0 for keys that
// have none is not queued).
bool read_keyboard_input(char& character);

// Whether each press is also logged as a [KBD] line: on, until the console
// takes the keyboard.
void set_keyboard_logging(bool on);

// Pulses the CPU's reset line through the 8042 (command 0xFE). Returns only
// if the machine did not reset.
void reset_through_keyboard_controller();

} // namespace drivers
