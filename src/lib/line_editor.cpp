#include "lib/line_editor.h"

namespace lib {

LineEditor::Action LineEditor::feed(char byte)
{
    bool after_carriage_return = m_after_carriage_return;
    m_after_carriage_return = byte == '\r';
    if (byte == '\r' || (byte == '\n' && !after_carriage_return))
        return Action::Complete;
    if (byte == '\b' || byte == 0x7F) { // terminals send either for Backspace
        if (m_length == 0)
            return Action::Nothing;
        --m_length;
        return Action::Erase;
    }
    if (byte < 0x20 || byte > 0x7E)
        return Action::Nothing;
    if (m_length == kCapacity) {
        bool first = !m_overflowed;
        m_overflowed = true;
        ++m_bytes_past_capacity;
        return first ? Action::Overflow : Action::Nothing;
    }
    m_text[m_length++] = byte;
    return Action::Echo;
}

} // namespace lib
