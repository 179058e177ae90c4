#pragma once

// Decodes PS/2 scan code set 1 (what the 8042 controller delivers with
// translation on) into key events and characters, US layout, with shift,
// caps lock and control. Pure logic: host-tested.

#include <stdint.h>

namespace drivers {

struct KeyEvent {
    uint8_t scancode; // the make code, without the release bit
    bool extended; // came after an E0 prefix
    bool pressed; // false for a release
    const char* name; // "A", "Enter", "LeftShift", ...
    char character; // what the key types with the current modifiers, 0 if none
    bool shift, ctrl, caps_lock;
};

class ScancodeSet1Decoder {
public:
    // Feeds one byte from the controller; returns true when it completes an
    // event (a prefix byte completes none).
    bool feed(uint8_t byte, KeyEvent& event);

private:
    bool m_extended_prefix = false;
    bool m_left_shift = false;
    bool m_right_shift = false;
    bool m_left_ctrl = false;
    bool m_right_ctrl = false;
    bool m_caps_lock = false;
};

} // namespace drivers
