#include "drivers/scancode_set1.h"

namespace drivers {
namespace {

constexpr uint8_t kExtendedPrefix = 0xE0;
constexpr uint8_t kReleaseBit = 0x80;

// Make codes the decoder acts on itself (with their release bit clear).
enum class Scancode : uint8_t {
    Enter = 0x1C, // after E0: the keypad's Enter
    LeftCtrl = 0x1D, // after E0: the right control key
    LeftShift = 0x2A,
    RightShift = 0x36,
    CapsLock = 0x3A,
};

// Characters for make codes 0x00..0x39, unshifted and shifted (US layout).
constexpr char kUnshifted[] = "\0\x1b"
                              "1234567890-=\b\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
constexpr char kShifted[] = "\0\x1b"
                            "!@#$%^&*()_+\b\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";
constexpr uint8_t kCharacterCodes = sizeof(kUnshifted) - 1;
static_assert(sizeof(kUnshifted) == sizeof(kShifted));

constexpr const char* kNames[0x59] = {
    "?",
    "Escape",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "0",
    "Minus",
    "Equals",
    "Backspace",
    "Tab",
    "Q",
    "W",
    "E",
    "R",
    "T",
    "Y",
    "U",
    "I",
    "O",
    "P",
    "LeftBracket",
    "RightBracket",
    "Enter",
    "LeftCtrl",
    "A",
    "S",
    "D",
    "F",
    "G",
    "H",
    "J",
    "K",
    "L",
    "Semicolon",
    "Quote",
    "Backquote",
    "LeftShift",
    "Backslash",
    "Z",
    "X",
    "C",
    "V",
    "B",
    "N",
    "M",
    "Comma",
    "Period",
    "Slash",
    "RightShift",
    "KeypadStar",
    "LeftAlt",
    "Space",
    "CapsLock",
    "F1",
    "F2",
    "F3",
    "F4",
    "F5",
    "F6",
    "F7",
    "F8",
    "F9",
    "F10",
    "NumLock",
    "ScrollLock",
    "Keypad7",
    "Keypad8",
    "Keypad9",
    "KeypadMinus",
    "Keypad4",
    "Keypad5",
    "Keypad6",
    "KeypadPlus",
    "Keypad1",
    "Keypad2",
    "Keypad3",
    "Keypad0",
    "KeypadPeriod",
    "?",
    "?",
    "?",
    "F11",
    "F12",
};

const char* extended_name(uint8_t code)
{
    switch (code) {
    case 0x1C:
        return "KeypadEnter";
    case 0x1D:
        return "RightCtrl";
    case 0x35:
        return "KeypadSlash";
    case 0x38:
        return "RightAlt";
    case 0x47:
        return "Home";
    case 0x48:
        return "Up";
    case 0x49:
        return "PageUp";
    case 0x4B:
        return "Left";
    case 0x4D:
        return "Right";
    case 0x4F:
        return "End";
    case 0x50:
        return "Down";
    case 0x51:
        return "PageDown";
    case 0x52:
        return "Insert";
    case 0x53:
        return "Delete";
    default:
        return "Unknown";
    }
}

bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

} // namespace

bool ScancodeSet1Decoder::feed(uint8_t byte, KeyEvent& event)
{
    if (byte == kExtendedPrefix) {
        m_extended_prefix = true;
        return false;
    }
    bool extended = m_extended_prefix;
    m_extended_prefix = false;
    bool pressed = (byte & kReleaseBit) == 0;
    auto code = static_cast<uint8_t>(byte & ~kReleaseBit);
    auto key = static_cast<Scancode>(code);

    if (!extended) {
        if (key == Scancode::LeftShift)
            m_left_shift = pressed;
        else if (key == Scancode::RightShift)
            m_right_shift = pressed;
        else if (key == Scancode::LeftCtrl)
            m_left_ctrl = pressed;
        else if (key == Scancode::CapsLock && pressed)
            m_caps_lock = !m_caps_lock;
    } else if (key == Scancode::LeftCtrl) {
        m_right_ctrl = pressed; // E0 1D is the right control key
    }

    bool shift = m_left_shift || m_right_shift;
    bool ctrl = m_left_ctrl || m_right_ctrl;
    char character = 0;
    if (!extended && code < kCharacterCodes) {
        char plain = kUnshifted[code];
        // Caps lock shifts letters only; shift with caps lock gives lower case.
        bool upper = is_letter(plain) ? (shift != m_caps_lock) : shift;
        character = upper ? kShifted[code] : plain;
        if (ctrl && is_letter(character))
            character = static_cast<char>(character & 0x1F); // Ctrl-A = 0x01 ... Ctrl-Z = 0x1A
    } else if (extended && key == Scancode::Enter) {
        character = '\n';
    }

    const char* name = extended ? extended_name(code)
                                : (code < sizeof(kNames) / sizeof(kNames[0]) ? kNames[code] : "Unknown");
    event = { code, extended, pressed, name, character, shift, ctrl, m_caps_lock };
    return true;
}

} // namespace drivers
