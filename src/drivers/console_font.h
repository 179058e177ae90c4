#pragma once

// The screen console's font: the ASCII glyphs of one of Debian's console
// fonts (ci/psf_font.py converts it at build time; meson.build names the
// file). 8 pixels wide, one byte per row, most significant bit leftmost;
// bytes outside printable ASCII have the '?' glyph.

#include <stdint.h>

namespace drivers {

inline constexpr uint32_t kConsoleFontWidth = 8;
inline constexpr uint32_t kConsoleFontHeight = 16;

// The file the glyphs came from, e.g. "Lat15-VGA16.psf.gz".
const char* console_font_name();
// kConsoleFontHeight rows; '?' for a byte outside printable ASCII.
const uint8_t* console_glyph(char character);

} // namespace drivers
