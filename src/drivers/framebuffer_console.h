#pragma once

// The screen console: the log's text (text_screen.h) drawn on the linear
// framebuffer the boot loader set up, in the built-in font. The kernel log
// writes to it beside COM1 (kernel/log.h) and flushes it when the kernel
// waits: in the idle loop, at the console's prompt, and before any exit,
// so a panic's report ends on screen.

#include <stdint.h>

#include "boot/framebuffer_info.h"
#include "drivers/text_screen.h"
#include "lib/string_view.h"

namespace drivers {

class FramebufferConsole {
public:
    // pixels: the framebuffer's first byte, mapped.
    void init(uint8_t* pixels, const boot::Framebuffer& framebuffer);

    // Changes cells only; the snapshot and its drawing show them.
    void write(lib::StringView text);
    // Copies the text to draw (cheap: under the log lock, which write()
    // needs too); false when nothing changed since the last copy.
    bool take_snapshot();
    // Forgets what the pixels show, so the next drawing redraws every cell:
    // for the panic path, whose CPU may have stopped another mid-draw (the
    // pixels half moved, the record of them not).
    void forget_what_is_shown();
    // Draws the last snapshot (slow: outside the log lock, interrupts on;
    // one CPU at a time): moves the pixels up by the rows scrolled, then
    // redraws the cells that differ from what the screen shows.
    void draw_snapshot();

    uint32_t columns() const { return m_text.columns(); }
    uint32_t rows() const { return m_text.rows(); }

private:
    uint32_t pack(TextColour colour) const;
    void draw_cell(uint32_t row, uint32_t column, const TextCell& cell, bool cursor);
    void clear_screen();
    void move_up(uint32_t text_rows);

    uint8_t* m_pixels = nullptr;
    boot::Framebuffer m_framebuffer {};
    uint32_t m_palette[kTextColourCount] {};
    TextScreen m_text;
    // The text as the last snapshot took it, in display order.
    TextCell m_snapshot[TextScreen::kMaxRows][TextScreen::kMaxColumns] {};
    uint32_t m_snapshot_scrolled = 0; // rows scrolled that the pixels have not followed yet
    uint32_t m_snapshot_cursor_row = 0;
    uint32_t m_snapshot_cursor_column = 0;
    // What the pixels show, cell by cell; a row not valid is redrawn whole.
    TextCell m_shown[TextScreen::kMaxRows][TextScreen::kMaxColumns] {};
    bool m_row_valid[TextScreen::kMaxRows] {};
    uint32_t m_cursor_row = 0;
    uint32_t m_cursor_column = 0;
    bool m_dirty = false;
};

// Maps the framebuffer the loader offered (uncached, no-execute) and starts
// the screen console on it, with the log so far; logs [FB] what it found,
// and why the log stays on serial only when it cannot.
void init_framebuffer_console(const boot::FramebufferOffer& offer);

} // namespace drivers
