#pragma once

// One line of typed input with backspace, for the console: feed it bytes
// from a terminal (serial, or the keyboard's characters) and it says what
// to echo and when a line is complete. Pure logic, host-tested.

#include <stddef.h>

#include "lib/string_view.h"

namespace lib {

class LineEditor {
public:
    static constexpr size_t kCapacity = 120;

    enum class Action {
        Nothing, // ignored (control byte, backspace on an empty line, the rest of a too-long line)
        Overflow, // the first byte past kCapacity: the line is too long, and will stay so
        Echo, // the byte joined the line: print it
        Erase, // the last byte left the line: print "\b \b"
        Complete, // Enter: line() holds the line until clear()
    };

    Action feed(char byte);
    StringView line() const { return StringView(m_text, m_length); }
    // A line that lost bytes (too long, or input dropped on the way) must not
    // be run: what remains is not what was typed.
    bool overflowed() const { return m_overflowed; }
    // How many printable bytes came past kCapacity (not kept, not echoed).
    size_t bytes_past_capacity() const { return m_bytes_past_capacity; }
    void mark_input_lost() { m_input_lost = true; }
    bool input_lost() const { return m_input_lost; }
    void clear()
    {
        m_length = 0;
        m_overflowed = false;
        m_bytes_past_capacity = 0;
        m_input_lost = false;
    }

private:
    char m_text[kCapacity];
    size_t m_length = 0;
    bool m_after_carriage_return = false; // CR LF is one Enter
    bool m_overflowed = false;
    size_t m_bytes_past_capacity = 0;
    bool m_input_lost = false;
};

} // namespace lib
