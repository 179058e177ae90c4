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
        Nothing, // ignored (control byte, full line, backspace on an empty line)
        Echo, // the byte joined the line: print it
        Erase, // the last byte left the line: print "\b \b"
        Complete, // Enter: line() holds the line until clear()
    };

    Action feed(char byte);
    StringView line() const { return StringView(m_text, m_length); }
    void clear() { m_length = 0; }

private:
    char m_text[kCapacity];
    size_t m_length = 0;
    bool m_after_carriage_return = false; // CR LF is one Enter
};

} // namespace lib
