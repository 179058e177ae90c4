"""What the kernel's screen console should show, and what it does show.

The expected screen is built here, independently of the kernel: the text
the kernel wrote to COM1 (from its first line on), run through a model of
a text terminal (wrap, scroll, backspace, the colours of the log's tags),
drawn cell by cell in the same console font (read from the PSF file by
ci/psf_font.py). The actual screen is QEMU's own screendump (PPM) of the
display. compare() checks every pixel of every cell."""

import importlib.util
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from .build_options import build_option

ROOT = Path(__file__).resolve().parents[2]

# The VGA text palette, by index (the kernel's TextColour order).
PALETTE = [
    (0x00, 0x00, 0x00), (0x00, 0x00, 0xAA), (0x00, 0xAA, 0x00), (0x00, 0xAA, 0xAA),
    (0xAA, 0x00, 0x00), (0xAA, 0x00, 0xAA), (0xAA, 0x55, 0x00), (0xAA, 0xAA, 0xAA),
    (0x55, 0x55, 0x55), (0x55, 0x55, 0xFF), (0x55, 0xFF, 0x55), (0x55, 0xFF, 0xFF),
    (0xFF, 0x55, 0x55), (0xFF, 0x55, 0xFF), (0xFF, 0xFF, 0x55), (0xFF, 0xFF, 0xFF),
]
BLACK, RED, BROWN, CYAN = 0, 4, 6, 3
LIGHT_GREY, LIGHT_BLUE, LIGHT_GREEN, LIGHT_CYAN = 7, 9, 10, 11
LIGHT_RED, LIGHT_MAGENTA, YELLOW, WHITE = 12, 13, 14, 15
DEFAULT = (LIGHT_GREY, BLACK)

# (foreground, background), whole line: how each log tag is drawn.
TAG_STYLES = {
    "BOOT": ((LIGHT_GREEN, BLACK), False), "CPU": ((LIGHT_CYAN, BLACK), False),
    "MEM": ((LIGHT_BLUE, BLACK), False), "SERIAL": ((LIGHT_MAGENTA, BLACK), False),
    "TIMER": ((YELLOW, BLACK), False), "ACPI": ((CYAN, BLACK), False), "APIC": ((CYAN, BLACK), False),
    "KBD": ((LIGHT_MAGENTA, BLACK), False), "MOUSE": ((LIGHT_MAGENTA, BLACK), False),
    "SMP": ((BROWN, BLACK), False), "FB": ((LIGHT_MAGENTA, BLACK), False), "PCI": ((CYAN, BLACK), False),
    "FAULT": ((LIGHT_RED, BLACK), False), "PANIC": ((WHITE, RED), True),
    "TEST": ((WHITE, BLACK), False), "LOCKDEP": ((YELLOW, BLACK), False), "BENCH": ((WHITE, BLACK), False),
}
TAG_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
MAX_TAG_LENGTH = 12
BLANK = (" ", DEFAULT)


def load_psf_module():
    spec = importlib.util.spec_from_file_location("psf_font", ROOT / "ci" / "psf_font.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def console_font(build_dir):
    """The font the build converted (meson_options.txt: console_font)."""
    return load_psf_module().read_font(build_option(build_dir, "console_font"))


class TerminalModel:
    """A text terminal of columns x rows cells, each (character, (fg, bg))."""

    def __init__(self, columns, rows):
        self.columns, self.rows = columns, rows
        self.cells = [[BLANK] * columns for _ in range(rows)]
        self.row = self.column = 0
        self.line_colours = DEFAULT
        self.at_line_start, self.tag = True, None

    def write(self, text):
        for character in text:
            self._put(character)
        return self

    def cursor(self):
        return self.row, min(self.column, self.columns - 1)

    def text_rows(self):
        return ["".join(cell[0] for cell in row).rstrip() for row in self.cells]

    def _put(self, character):
        if character == "\n":
            self._next_row()
            self.line_colours, self.at_line_start, self.tag = DEFAULT, True, None
            return
        if character == "\r":
            self.column = 0
            return
        if character == "\b":
            if self.column > 0:
                self.column -= 1
            elif self.row > 0:
                self.row, self.column = self.row - 1, self.columns - 1
            return
        if character == "\t":
            self._place(" ")
            while self.column % 8:
                self._place(" ")
            return
        self._place(character if " " <= character <= "~" else "?")
        if self.at_line_start and character == "[":
            self.tag = ""
        elif self.tag is not None and character == "]":
            self._end_tag()
        elif self.tag is not None:
            if character in TAG_CHARACTERS and len(self.tag) < MAX_TAG_LENGTH:
                self.tag += character
            else:
                self.tag = None
        self.at_line_start = False

    def _end_tag(self):
        colours, whole_line = TAG_STYLES.get(self.tag, (DEFAULT, False))
        row, column = self.row, self.column
        for _ in range(len(self.tag) + 2):
            if column == 0:
                if row == 0:
                    break
                row, column = row - 1, self.columns
            column -= 1
            self.cells[row][column] = (self.cells[row][column][0], colours)
        if whole_line:
            self.line_colours = colours
        self.tag = None

    def _place(self, character):
        if self.column == self.columns:
            self._next_row()
        self.cells[self.row][self.column] = (character, self.line_colours)
        self.column += 1

    def _next_row(self):
        self.column = 0
        if self.row + 1 < self.rows:
            self.row += 1
            return
        self.cells = self.cells[1:] + [[BLANK] * self.columns]


def kernel_text(serial_bytes):
    """What the kernel wrote, from its first line (the trampoline's and the
    boot loader's output before it never reach the screen console)."""
    text = serial_bytes.decode("latin-1")
    start = text.find("[SERIAL] COM1")
    if start < 0:
        raise AssertionError("the serial log has no [SERIAL] COM1 line: the kernel's log did not start")
    return text[start:]


@dataclass
class Image:
    width: int
    height: int
    pixels: bytes       # RGB, row by row

    def pixel(self, x, y):
        offset = 3 * (y * self.width + x)
        return tuple(self.pixels[offset:offset + 3])


def read_ppm(path):
    """A binary PPM (P6, maxval 255), as QEMU's screendump writes it."""
    data = Path(path).read_bytes()
    fields, position = [], 0
    while len(fields) < 4:
        while data[position:position + 1].isspace():
            position += 1
        if data[position:position + 1] == b"#":
            position = data.index(b"\n", position)
            continue
        end = position
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[position:end])
        position = end
    position += 1
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError(f"{path}: not a P6 PPM with maxval 255")
    width, height = int(fields[1]), int(fields[2])
    pixels = data[position:position + 3 * width * height]
    if len(pixels) != 3 * width * height:
        raise ValueError(f"{path}: pixel data cut short")
    return Image(width, height, pixels)


def write_png(image, path):
    """The image as an 8-bit RGB PNG (for the README's screenshots)."""
    raw = b"".join(b"\x00" + image.pixels[3 * y * image.width:3 * (y + 1) * image.width] for y in range(image.height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", image.width, image.height, 8, 2, 0, 0, 0)
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
                           + chunk(b"IEND", b""))


def expected_cell_pixels(font, character, colours, cursor):
    foreground, background = (PALETTE[index] for index in colours)
    rows = font.rows(character)
    if cursor:
        rows = rows[:font.height - 2] + [0xFF, 0xFF]
    return [[foreground if row >> (7 - x) & 1 else background for x in range(font.width)] for row in rows]


def compare(image, model, font, limit=8):
    """Every cell of the model against the image, and the strips right of
    and below the cells (background); a description of each mismatch (at
    most limit), empty when the screen is right."""
    problems = []
    background = PALETTE[DEFAULT[1]]
    cells_width, cells_height = model.columns * font.width, model.rows * font.height
    for y in range(image.height):
        for x in range(0 if y >= cells_height else cells_width, image.width):
            if image.pixel(x, y) != background:
                problems.append(f"pixel ({x}, {y}) outside the cells is {image.pixel(x, y)}, not the background")
                break
        if len(problems) >= limit:
            return problems
    cursor = model.cursor()
    for row in range(model.rows):
        for column in range(model.columns):
            character, colours = model.cells[row][column]
            expected = expected_cell_pixels(font, character, colours, (row, column) == cursor)
            top, left = row * font.height, column * font.width
            for y in range(font.height):
                actual = [image.pixel(left + x, top + y) for x in range(font.width)]
                if actual != expected[y]:
                    problems.append(f"row {row} column {column}: expected {character!r} in colours {colours}, "
                                    f"pixel row {y} is {actual} (expected {expected[y]}); the row should read "
                                    f"{model.text_rows()[row]!r}")
                    break
            if len(problems) >= limit:
                return problems
    return problems
