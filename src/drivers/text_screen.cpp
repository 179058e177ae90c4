#include "drivers/text_screen.h"

namespace drivers {
namespace {

struct TagColour {
    const char* name;
    TagStyle style;
};

constexpr CellColours on_black(TextColour foreground)
{
    return { foreground, TextColour::Black };
}

// Chosen so the subsystems a reader looks for differ at a glance; faults
// and panics in red, a panic's whole line white on red.
constexpr TagColour kTagColours[] = {
    { "BOOT", { on_black(TextColour::LightGreen), false } },
    { "CPU", { on_black(TextColour::LightCyan), false } },
    { "MEM", { on_black(TextColour::LightBlue), false } },
    { "SERIAL", { on_black(TextColour::LightMagenta), false } },
    { "TIMER", { on_black(TextColour::Yellow), false } },
    { "ACPI", { on_black(TextColour::Cyan), false } },
    { "APIC", { on_black(TextColour::Cyan), false } },
    { "KBD", { on_black(TextColour::LightMagenta), false } },
    { "MOUSE", { on_black(TextColour::LightMagenta), false } },
    { "SMP", { on_black(TextColour::Brown), false } },
    { "FB", { on_black(TextColour::LightMagenta), false } },
    { "PCI", { on_black(TextColour::Cyan), false } },
    { "FAULT", { on_black(TextColour::LightRed), false } },
    { "PANIC", { { TextColour::White, TextColour::Red }, true } },
    { "TEST", { on_black(TextColour::White), false } },
    { "LOCKDEP", { on_black(TextColour::Yellow), false } },
    { "BENCH", { on_black(TextColour::White), false } },
};

constexpr uint32_t kTabWidth = 8;

} // namespace

TagStyle tag_style(lib::StringView name)
{
    for (const TagColour& tag : kTagColours) {
        if (name == lib::StringView(tag.name))
            return tag.style;
    }
    return { kDefaultColours, false };
}

void TextScreen::reset(uint32_t columns, uint32_t rows)
{
    m_columns = columns == 0 ? 1 : (columns > kMaxColumns ? kMaxColumns : columns);
    m_rows = rows == 0 ? 1 : (rows > kMaxRows ? kMaxRows : rows);
    for (uint32_t row = 0; row < m_rows; ++row) {
        for (uint32_t column = 0; column < m_columns; ++column)
            m_cells[row][column] = kBlankCell;
    }
    m_top = 0;
    m_cursor_row = 0;
    m_cursor_column = 0;
    m_scrolled_rows = 0;
    m_line_colours = kDefaultColours;
    m_at_line_start = true;
    m_in_tag = false;
    m_tag_length = 0;
}

void TextScreen::write(lib::StringView text)
{
    for (char character : text)
        put(character);
}

uint32_t TextScreen::take_scrolled_rows()
{
    uint32_t scrolled = m_scrolled_rows;
    m_scrolled_rows = 0;
    return scrolled;
}

void TextScreen::put(char character)
{
    switch (character) {
    case '\n':
        next_row();
        m_line_colours = kDefaultColours;
        m_at_line_start = true;
        m_in_tag = false;
        return;
    case '\r':
        m_cursor_column = 0;
        return;
    case '\b':
        if (m_cursor_column > 0) {
            --m_cursor_column;
        } else if (m_cursor_row > 0) {
            --m_cursor_row;
            m_cursor_column = m_columns - 1;
        }
        return;
    case '\t':
        // To the next stop, or to the row's end on a row narrower than one.
        do
            place(' ');
        while (m_cursor_column % kTabWidth != 0 && m_cursor_column < m_columns);
        return;
    default:
        break;
    }
    bool printable = character >= ' ' && character <= '~';
    place(printable ? character : '?');

    // "[" opens a tag only as a line's first character; the tag ends at
    // "]" and is abandoned at anything a tag name cannot hold.
    if (m_at_line_start && character == '[') {
        m_in_tag = true;
        m_tag_length = 0;
    } else if (m_in_tag && character == ']') {
        on_tag_end();
    } else if (m_in_tag) {
        bool name_character
            = (character >= 'A' && character <= 'Z') || (character >= '0' && character <= '9');
        if (!name_character || m_tag_length == kMaxTagLength)
            m_in_tag = false;
        else
            m_tag[m_tag_length++] = character;
    }
    m_at_line_start = false;
}

void TextScreen::on_tag_end()
{
    m_in_tag = false;
    TagStyle style = tag_style(lib::StringView(m_tag, m_tag_length));
    // Recolour "[name]", just placed: at most kMaxTagLength + 2 cells back,
    // possibly across a wrap.
    uint32_t row = m_cursor_row;
    uint32_t column = m_cursor_column;
    for (size_t i = 0; i < m_tag_length + 2; ++i) {
        if (column == 0) {
            if (row == 0)
                break;
            --row;
            column = m_columns;
        }
        --column;
        at(row, column).colours = style.colours;
    }
    if (style.whole_line)
        m_line_colours = style.colours;
}

void TextScreen::place(char character)
{
    if (m_cursor_column == m_columns) {
        next_row();
    }
    at(m_cursor_row, m_cursor_column) = { character, m_line_colours };
    ++m_cursor_column;
}

void TextScreen::next_row()
{
    m_cursor_column = 0;
    if (m_cursor_row + 1 < m_rows) {
        ++m_cursor_row;
        return;
    }
    m_top = physical_row(1);
    for (uint32_t column = 0; column < m_columns; ++column)
        at(m_rows - 1, column) = kBlankCell;
    if (m_scrolled_rows < m_rows)
        ++m_scrolled_rows;
}

} // namespace drivers
