#include "drivers/framebuffer_console.h"

#include "arch/cpu.h"
#include "arch/page_size.h"
#include "arch/paging.h"
#include "drivers/console_font.h"
#include "kernel/log.h"

namespace drivers {
namespace {

using kernel::LogTag;

struct Rgb {
    uint8_t red;
    uint8_t green;
    uint8_t blue;
};

// The VGA text palette, in TextColour's order.
constexpr Rgb kPalette[kTextColourCount] = {
    { 0x00, 0x00, 0x00 },
    { 0x00, 0x00, 0xAA },
    { 0x00, 0xAA, 0x00 },
    { 0x00, 0xAA, 0xAA },
    { 0xAA, 0x00, 0x00 },
    { 0xAA, 0x00, 0xAA },
    { 0xAA, 0x55, 0x00 },
    { 0xAA, 0xAA, 0xAA },
    { 0x55, 0x55, 0x55 },
    { 0x55, 0x55, 0xFF },
    { 0x55, 0xFF, 0x55 },
    { 0x55, 0xFF, 0xFF },
    { 0xFF, 0x55, 0x55 },
    { 0xFF, 0x55, 0xFF },
    { 0xFF, 0xFF, 0x55 },
    { 0xFF, 0xFF, 0xFF },
};

// The cursor: an underline in the cell's last rows, as VGA text draws it.
constexpr uint32_t kCursorFirstRow = kConsoleFontHeight - 2;

constexpr uint32_t kBytesPerPixel = 4;

constinit FramebufferConsole g_console;

} // namespace

void FramebufferConsole::init(uint8_t* pixels, const boot::Framebuffer& framebuffer)
{
    m_pixels = pixels;
    m_framebuffer = framebuffer;
    for (size_t i = 0; i < kTextColourCount; ++i)
        m_palette[i] = pack(static_cast<TextColour>(i));
    m_text.reset(framebuffer.width / kConsoleFontWidth, framebuffer.height / kConsoleFontHeight);
    clear_screen();
    m_dirty = true;
}

uint32_t FramebufferConsole::pack(TextColour colour) const
{
    const Rgb& rgb = kPalette[static_cast<size_t>(colour)];
    return (uint32_t { rgb.red } << m_framebuffer.red.position)
        | (uint32_t { rgb.green } << m_framebuffer.green.position)
        | (uint32_t { rgb.blue } << m_framebuffer.blue.position);
}

void FramebufferConsole::write(lib::StringView text)
{
    m_text.write(text);
    m_dirty = true;
}

void FramebufferConsole::clear_screen()
{
    // The cells cover all but the strips to the right and below them, and
    // the first flush draws every cell: clear only the strips.
    uint32_t background = m_palette[static_cast<size_t>(kDefaultColours.background)];
    uint32_t cells_width = m_text.columns() * kConsoleFontWidth;
    uint32_t cells_height = m_text.rows() * kConsoleFontHeight;
    for (uint32_t y = 0; y < m_framebuffer.height; ++y) {
        auto* line = reinterpret_cast<uint32_t*>(m_pixels + uint64_t { y } * m_framebuffer.pitch);
        for (uint32_t x = y < cells_height ? cells_width : 0; x < m_framebuffer.width; ++x)
            line[x] = background;
    }
    for (bool& valid : m_row_valid)
        valid = false;
}

void FramebufferConsole::move_up(uint32_t text_rows)
{
    uint64_t line_bytes = uint64_t { kConsoleFontHeight } * m_framebuffer.pitch;
    uint64_t kept_rows = m_text.rows() - text_rows;
    __builtin_memmove(m_pixels, m_pixels + text_rows * line_bytes, kept_rows * line_bytes);
    for (uint32_t row = 0; row < kept_rows; ++row) {
        for (uint32_t column = 0; column < m_text.columns(); ++column)
            m_shown[row][column] = m_shown[row + text_rows][column];
        m_row_valid[row] = m_row_valid[row + text_rows];
    }
    for (uint32_t row = kept_rows; row < m_text.rows(); ++row)
        m_row_valid[row] = false;
    // The cursor's underline moved up with its row.
    m_cursor_row = m_cursor_row >= text_rows ? m_cursor_row - text_rows : 0;
}

void FramebufferConsole::draw_cell(uint32_t row, uint32_t column, const TextCell& cell, bool cursor)
{
    uint32_t foreground = m_palette[static_cast<size_t>(cell.colours.foreground)];
    uint32_t background = m_palette[static_cast<size_t>(cell.colours.background)];
    const uint8_t* glyph = console_glyph(cell.character);
    uint8_t* top = m_pixels + uint64_t { row } * kConsoleFontHeight * m_framebuffer.pitch
        + uint64_t { column } * kConsoleFontWidth * kBytesPerPixel;
    for (uint32_t y = 0; y < kConsoleFontHeight; ++y) {
        uint8_t bits = cursor && y >= kCursorFirstRow ? 0xFF : glyph[y];
        auto* line = reinterpret_cast<uint32_t*>(top + uint64_t { y } * m_framebuffer.pitch);
        for (uint32_t x = 0; x < kConsoleFontWidth; ++x)
            line[x] = (bits & (0x80u >> x)) != 0 ? foreground : background;
    }
}

bool FramebufferConsole::take_snapshot()
{
    if (!m_dirty || m_pixels == nullptr)
        return false;
    m_dirty = false;
    uint32_t scrolled = m_text.take_scrolled_rows();
    m_snapshot_scrolled
        = m_snapshot_scrolled + scrolled < m_text.rows() ? m_snapshot_scrolled + scrolled : m_text.rows();
    for (uint32_t row = 0; row < m_text.rows(); ++row) {
        for (uint32_t column = 0; column < m_text.columns(); ++column)
            m_snapshot[row][column] = m_text.cell(row, column);
    }
    // The cursor sits after the last column while a wrap is pending: show
    // it on the last one.
    m_snapshot_cursor_row = m_text.cursor_row();
    m_snapshot_cursor_column
        = m_text.cursor_column() < m_text.columns() ? m_text.cursor_column() : m_text.columns() - 1;
    return true;
}

void FramebufferConsole::forget_what_is_shown()
{
    for (bool& valid : m_row_valid)
        valid = false;
    m_snapshot_scrolled = 0;
    m_dirty = true;
}

void FramebufferConsole::draw_snapshot()
{
    uint32_t scrolled = m_snapshot_scrolled;
    m_snapshot_scrolled = 0;
    if (scrolled >= m_text.rows()) {
        for (uint32_t row = 0; row < m_text.rows(); ++row)
            m_row_valid[row] = false;
    } else if (scrolled != 0) {
        move_up(scrolled);
    }

    uint32_t cursor_row = m_snapshot_cursor_row;
    uint32_t cursor_column = m_snapshot_cursor_column;
    bool cursor_moved = m_cursor_row != cursor_row || m_cursor_column != cursor_column;
    if (m_row_valid[m_cursor_row] && cursor_moved)
        draw_cell(m_cursor_row, m_cursor_column, m_shown[m_cursor_row][m_cursor_column], false);
    for (uint32_t row = 0; row < m_text.rows(); ++row) {
        for (uint32_t column = 0; column < m_text.columns(); ++column) {
            const TextCell& cell = m_snapshot[row][column];
            bool is_cursor = row == cursor_row && column == cursor_column;
            if (m_row_valid[row] && m_shown[row][column] == cell && !(is_cursor && cursor_moved))
                continue;
            draw_cell(row, column, cell, is_cursor);
            m_shown[row][column] = cell;
        }
        m_row_valid[row] = true;
    }
    m_cursor_row = cursor_row;
    m_cursor_column = cursor_column;
}

void init_framebuffer_console(const boot::FramebufferOffer& offer)
{
    switch (offer.status) {
    case boot::FramebufferStatus::Absent:
        kernel::log(LogTag::Fb, "no framebuffer from the boot loader: the log is on serial only");
        return;
    case boot::FramebufferStatus::Refused:
        kernel::log(LogTag::Fb, "framebuffer refused: {}; the log is on serial only", offer.problem);
        return;
    case boot::FramebufferStatus::Usable:
        break;
    }
    const boot::Framebuffer& framebuffer = offer.framebuffer;
    // The tag's check knows the architecture's limit; this CPU's may be lower.
    if (framebuffer.physical + framebuffer.size > arch::physical_address_limit()) {
        kernel::log(LogTag::Fb,
            "framebuffer refused: {:#x}-{:#x} is past this CPU's physical addresses (below {:#x}); the log "
            "is on "
            "serial only",
            framebuffer.physical, framebuffer.physical + framebuffer.size, arch::physical_address_limit());
        return;
    }
    uint64_t first_page = framebuffer.physical & ~(arch::kPageSize - 1);
    uint64_t offset = framebuffer.physical - first_page;
    uint64_t pages = (offset + framebuffer.size + arch::kPageSize - 1) / arch::kPageSize;
    for (uint64_t page = 0; page < pages; ++page) {
        if (!arch::map_device_page(
                arch::kFramebufferWindow + page * arch::kPageSize, first_page + page * arch::kPageSize)) {
            kernel::log(LogTag::Fb,
                "framebuffer not mapped: no frame left for a page table; the log is on serial only");
            return;
        }
    }
    g_console.init(reinterpret_cast<uint8_t*>(arch::kFramebufferWindow + offset), framebuffer);
    // Without NX every page is executable (the boot warns once): no claim.
    kernel::log(LogTag::Fb,
        "framebuffer {}x{}, 32 bits per pixel, pitch {}, at {:#x}: {} pages mapped uncached{} at {:#x}",
        framebuffer.width, framebuffer.height, framebuffer.pitch, framebuffer.physical, pages,
        arch::no_execute_enforced() ? " NX" : "", arch::kFramebufferWindow + offset);
    kernel::set_log_screen(&g_console);
    kernel::log(LogTag::Fb, "screen console {}x{} characters in {} ({}x{}): the log from its first line",
        g_console.columns(), g_console.rows(), console_font_name(), kConsoleFontWidth, kConsoleFontHeight);
}

} // namespace drivers
