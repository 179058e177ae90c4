#pragma once

// The text on the screen console: a grid of character cells with colours,
// a cursor, line wrap and scrolling, fed the same bytes as COM1. Pure (no
// pixels): framebuffer_console.cpp draws it, the host tests check it.
//
// Colours follow the log's tags: a line that starts "[TAG]" has the tag
// drawn in the tag's colour, and a [PANIC] line stands out whole, white on
// red. Drawing is deferred: writes only change cells, and the renderer
// redraws what changed (moving the pixels up first by the rows scrolled)
// when the kernel flushes the screen.

#include <stddef.h>
#include <stdint.h>

#include "lib/string_view.h"

namespace drivers {

// The 16 colours of the VGA text palette, by their usual names.
enum class TextColour : uint8_t {
    Black,
    Blue,
    Green,
    Cyan,
    Red,
    Magenta,
    Brown,
    LightGrey,
    DarkGrey,
    LightBlue,
    LightGreen,
    LightCyan,
    LightRed,
    LightMagenta,
    Yellow,
    White,
};
inline constexpr size_t kTextColourCount = 16;

struct CellColours {
    TextColour foreground;
    TextColour background;

    constexpr bool operator==(const CellColours&) const = default;
};

struct TextCell {
    char character;
    CellColours colours;

    constexpr bool operator==(const TextCell&) const = default;
};

inline constexpr CellColours kDefaultColours { TextColour::LightGrey, TextColour::Black };
inline constexpr TextCell kBlankCell { ' ', kDefaultColours };

// What a line starting "[name]" looks like: the tag's colours, and whether
// the rest of the line takes them too.
struct TagStyle {
    CellColours colours;
    bool whole_line;
};
// The style of a tag name (without brackets); default colours when unknown.
TagStyle tag_style(lib::StringView name);

class TextScreen {
public:
    // Enough for 1920x1600 in an 8x16 font; a larger screen uses this much.
    static constexpr uint32_t kMaxColumns = 240;
    static constexpr uint32_t kMaxRows = 100;

    // Clears the grid to columns x rows (each at least 1, clamped to the
    // maxima) with the cursor at the top left. Call it before anything else.
    void reset(uint32_t columns, uint32_t rows);

    // Printable ASCII goes into cells; '\n' ends the line, '\r' returns to
    // its start, '\b' steps back a cell (to the previous row's end from a
    // row's start), '\t' moves to the next multiple of 8. Other bytes show
    // as '?'; a cell past the last column wraps to the next row.
    void write(lib::StringView text);

    uint32_t columns() const { return m_columns; }
    uint32_t rows() const { return m_rows; }
    const TextCell& cell(uint32_t row, uint32_t column) const { return m_cells[physical_row(row)][column]; }
    uint32_t cursor_row() const { return m_cursor_row; }
    uint32_t cursor_column() const { return m_cursor_column; }

    // Rows scrolled off the top since the last call (at most rows()).
    uint32_t take_scrolled_rows();

private:
    // The rows are a ring: scrolling moves the top, not the text.
    uint32_t physical_row(uint32_t row) const { return (m_top + row) % m_rows; }
    TextCell& at(uint32_t row, uint32_t column) { return m_cells[physical_row(row)][column]; }
    void put(char character);
    void place(char character);
    void next_row();
    void on_tag_end();

    static constexpr size_t kMaxTagLength = 12;

    TextCell m_cells[kMaxRows][kMaxColumns] {};
    uint32_t m_columns = 0;
    uint32_t m_rows = 0;
    uint32_t m_top = 0; // the physical row shown at the top
    uint32_t m_cursor_row = 0;
    uint32_t m_cursor_column = 0;
    uint32_t m_scrolled_rows = 0;

    // The line being written: its colours, and the tag it may start with.
    // Zero until reset() sets them: an object whose every byte starts at
    // zero goes to .bss, not into the image GRUB reads (the kernel's screen
    // console holds one).
    CellColours m_line_colours {};
    bool m_at_line_start = false;
    bool m_in_tag = false;
    char m_tag[kMaxTagLength] {};
    size_t m_tag_length = 0;
};

} // namespace drivers
