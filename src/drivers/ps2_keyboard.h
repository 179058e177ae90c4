#pragma once

// The PS/2 keyboard behind the 8042 controller (IBM PC/AT technical
// reference; OSDev "8042 PS/2 Controller"): the controller is self-tested
// and the keyboard reset. IRQ 1 only queues scan codes; they are decoded
// when read, outside the interrupt.

namespace drivers {

// Returns false (after logging why) when no working controller or keyboard
// answers; the boot goes on without one.
bool init_keyboard();

// The character of the next queued key press that types one, if any (for
// the console); presses of keys without a character are passed over.
bool read_keyboard_input(char& character);

// For the idle loop: logs the key presses since the last call as [KBD]
// lines, up to a limit a second and a summary line for the rest, and a
// [KBD] dropped line for scan codes that were lost.
void log_keyboard_input();

// Pulses the CPU's reset line through the 8042 (command 0xFE). Returns only
// if the machine did not reset.
void reset_through_keyboard_controller();

} // namespace drivers
