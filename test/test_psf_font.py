"""ci/psf_font.py, which turns a console font into the kernel's glyphs and
draws the boot tests' expected screens: fonts built here, byte by byte,
in both PSF versions, with and without a Unicode table, and cut short."""

import gzip
import struct

import pytest

from harness import screen

psf_font = screen.load_psf_module()


def glyph(seed, height=16):
    return bytes((seed * 7 + row * 13) & 0xFF for row in range(height))


def psf1(count=256, table=None, height=16):
    mode = (0x01 if count == 512 else 0) | (0x02 if table is not None else 0)
    data = b"\x36\x04" + bytes([mode, height]) + b"".join(glyph(i, height) for i in range(count))
    if table is not None:
        for index in range(count):
            data += b"".join(struct.pack("<H", code) for code in table.get(index, ())) + b"\xff\xff"
    return data


def psf2(count=256, table=None, width=8, height=16):
    stride = (width + 7) // 8
    flags = 1 if table is not None else 0
    header = struct.pack("<4sIIIIIII", b"\x72\xb5\x4a\x86", 0, 32, flags, count, stride * height, height, width)
    data = header + b"".join(glyph(i, stride * height) for i in range(count))
    if table is not None:
        for index in range(count):
            data += "".join(table.get(index, ())).encode() + b"\xff"
    return data


def write(tmp_path, data, compressed=False):
    path = tmp_path / ("font.psf.gz" if compressed else "font.psf")
    path.write_bytes(gzip.compress(data) if compressed else data)
    return path


@pytest.mark.parametrize("compressed", [False, True])
def test_psf1_without_a_table_maps_bytes_to_glyphs(tmp_path, compressed):
    font = psf_font.read_font(write(tmp_path, psf1(), compressed))
    assert (font.width, font.height) == (8, 16)
    assert font.rows("A") == list(glyph(ord("A")))


def test_psf1_table_maps_code_points_and_skips_sequences(tmp_path):
    # Glyph 3 is 'A'; glyph 5 is '?' and, after a sequence mark, a combining pair.
    table = {3: [ord("A")], 5: [ord("?"), 0xFFFE, ord("B"), 0x301]}
    font = psf_font.read_font(write(tmp_path, psf1(table=table)))
    assert font.rows("A") == list(glyph(3))
    assert font.rows("?") == list(glyph(5))
    assert font.rows("B") == list(glyph(5)), "B is only in a sequence: the replacement"


def test_psf2_table_is_utf8(tmp_path):
    table = {10: ["A"], 11: ["?", "\u00e9"]}
    font = psf_font.read_font(write(tmp_path, psf2(table=table)))
    assert font.rows("A") == list(glyph(10))
    assert font.rows("\u00e9") == list(glyph(11))


def test_psf2_wide_glyphs_read_as_whole_rows(tmp_path):
    font = psf_font.read_font(write(tmp_path, psf2(width=12, height=4)))
    raw = glyph(ord("A"), 8)
    assert font.rows("A") == [int.from_bytes(raw[i:i + 2], "big") for i in range(0, 8, 2)]


@pytest.mark.parametrize("data, message", [
    (b"not a font at all", "not a PSF font"),
    (psf1()[:100], "PSF1 glyphs are cut short"),
    (b"\x36\x04\x00", "PSF1 header is cut short"),
    (psf2()[:20], "PSF2 header is cut short"),
    (psf2()[:1000], "PSF2 glyphs are cut short"),
    (struct.pack("<4sIIIIIII", b"\x72\xb5\x4a\x86", 0, 32, 0, 1, 15, 16, 8) + bytes(15),
     "PSF2 glyph size does not match its width and height"),
])
def test_broken_fonts_are_refused_with_the_reason(tmp_path, data, message):
    with pytest.raises(psf_font.FontError, match=message):
        psf_font.read_font(write(tmp_path, data))


def test_a_font_without_the_replacement_glyph_says_so(tmp_path):
    font = psf_font.read_font(write(tmp_path, psf1(table={3: [ord("A")]})))
    with pytest.raises(psf_font.FontError, match="no glyph for 'x'"):
        font.rows("x")


def test_the_generated_cpp_holds_every_ascii_glyph_and_refuses_wide_fonts(tmp_path):
    output = tmp_path / "font.cpp"
    font = psf_font.read_font(write(tmp_path, psf1()))
    psf_font.write_cpp(font, "test.psf", output)
    text = output.read_text()
    rows = [line for line in text.splitlines() if line.strip().startswith("{ 0x")]
    assert len(rows) == 128
    expected_a = ", ".join(f"0x{byte:02x}" for byte in glyph(ord("A")))
    assert rows[ord("A")].strip().startswith("{ " + expected_a + " }")
    assert rows[1] == rows[ord("?")].replace("// '?'", "// '\\x01'"), "a control byte draws '?'"
    with pytest.raises(psf_font.FontError, match="8-pixel-wide"):
        psf_font.write_cpp(psf_font.read_font(write(tmp_path, psf2(width=12))), "wide.psf", output)


def test_the_command_reports_a_missing_font_and_fails(tmp_path, capsys):
    assert psf_font.main([str(tmp_path / "absent.psf"), str(tmp_path / "out.cpp")]) == 1
    assert "absent.psf" in capsys.readouterr().err
