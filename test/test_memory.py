"""Memory at boot: the mended map, the frame allocator's figures, the
kernel's own page tables and their W^X audit. The figures must add up."""

import re

import pytest

from harness.outcome import Outcome

MIB = 2**20


def number(result, pattern):
    for line in result.lines:
        match = re.search(pattern, line)
        if match:
            return [int(group, 0) for group in match.groups()]
    raise AssertionError(f"no line matches {pattern!r}")


def physical(result):
    usable, free, used, usable_mib, total = number(
        result, r"^\[MEM\] Physical: (\d+) usable, (\d+) free, (\d+) used frames of 4 KiB "
                r"\((\d+) MiB usable, (\d+) frames up to the top\)$")
    return {"usable": usable, "free": free, "used": used, "usable_mib": usable_mib, "total": total}


def usable_regions(result):
    return [(int(m.group(1), 16), int(m.group(2), 16)) for m in
            (re.match(r"\[MEM\]   base (0x[0-9a-f]+) length (0x[0-9a-f]+) usable$", line) for line in result.lines)
            if m]


HIGHER_HALF = 0xFFFF800000000000
PAGE = 4096
HEAP_INITIAL = 2097152


def seed_heap_lines(result):
    """The seed's three heap lines, in order, with their relations."""
    index = {}
    for name, prefix in (("init", "[MEM] Heap allocator initialized at "), ("test", "[MEM] Test allocation successful: "),
                         ("stats", "[MEM] Stats: ")):
        found = [i for i, line in enumerate(result.lines) if line.startswith(prefix)]
        assert len(found) == 1, f"{prefix!r} appears {len(found)} times"
        index[name] = found[0]
    assert index["init"] < index["test"] < index["stats"]
    address, size = number(result, r"^\[MEM\] Heap allocator initialized at (0x[0-9a-f]+) \(size: (\d+) bytes\)$")
    (pointer,) = number(result, r"^\[MEM\] Test allocation successful: (0x[0-9a-f]+)$")
    used, total, pages = number(result, r"^\[MEM\] Stats: (\d+)/(\d+) bytes used, (\d+) pages allocated$")
    return {"address": address, "size": size, "pointer": pointer, "used": used, "total": total, "pages": pages}


def assert_seed_heap_relations(result):
    heap = seed_heap_lines(result)
    assert heap["address"] >= HIGHER_HALF, "the heap lives in the kernel's higher half"
    assert heap["address"] % PAGE == 0
    assert heap["size"] == HEAP_INITIAL
    assert heap["address"] <= heap["pointer"] < heap["address"] + heap["total"], "the test block is inside the heap"
    assert heap["pointer"] % 8 == 0
    assert 64 <= heap["used"] <= heap["total"]
    assert heap["total"] == heap["pages"] * PAGE
    assert heap["total"] >= heap["size"]
    frames = physical(result)
    # The heap's pages are frames the frame allocator handed out.
    assert frames["used"] >= heap["pages"]
    return heap


@pytest.mark.parametrize("memory_mib", [64, 512, 4096])
def test_frame_figures_add_up_and_match_the_map(boot, memory_mib):
    result = boot(memory=f"{memory_mib}M", timeout=60)
    assert result.outcome is Outcome.PASSED, result.reason
    assert_seed_heap_relations(result)
    frames = physical(result)
    assert frames["free"] + frames["used"] == frames["usable"]
    (map_usable,) = number(result, r"^\[MEM\] usable memory: (\d+) bytes")
    # The allocator hands out usable memory less the first MiB, the image,
    # the boot information and its own bitmaps: a little below the map's figure.
    (bitmap_bytes, bitmap_at) = number(result, r"^\[MEM\] frame bitmaps: (\d+) bytes at physical (0x[0-9a-f]+)$")
    image_end = number(result, r"^\[MEM\] kernel image: \S+ - \S+ \(physical (0x[0-9a-f]+), (\d+) KiB\)$")
    image_physical_end = image_end[0] + image_end[1] * 1024
    low_usable = sum(min(base + length, MIB) - base for base, length in usable_regions(result) if base < MIB)
    # Carved out: the first MiB, the image (from 1 MiB up), the bitmaps, and
    # the boot information (a page or two, wherever GRUB put it).
    expected = map_usable - low_usable - (image_physical_end - MIB) - bitmap_bytes
    assert expected - 2 * 4096 <= frames["usable"] * 4096 <= expected
    # QEMU's -m, less what firmware keeps, is usable.
    assert memory_mib * MIB - 3 * MIB <= map_usable <= memory_mib * MIB
    # The bitmaps sit clear of the kernel image.
    assert bitmap_at >= image_physical_end or bitmap_at + bitmap_bytes <= MIB


def test_four_gib_has_a_hole_below_4_gib_and_memory_above_it(boot):
    result = boot(memory="4G", timeout=60)
    assert result.outcome is Outcome.PASSED, result.reason
    usable = usable_regions(result)
    assert any(base >= 4 * 1024 * MIB for base, _ in usable), "QEMU puts the rest of 4 GiB above the PCI hole"
    # Nothing usable runs into the PCI hole below 4 GiB (QEMU's starts at 3 GiB).
    assert all(base + length <= 0xC0000000 for base, length in usable if base < 4 * 1024 * MIB)


@pytest.mark.parametrize("options", [{}, {"cpu": "max"}, {"firmware": "uefi", "timeout": 90}])
def test_kernel_page_tables_have_no_writable_executable_page(boot, options):
    result = boot(**options)
    assert result.outcome is Outcome.PASSED, result.reason
    assert_seed_heap_relations(result)
    assert "[MEM] W^X check: 0 writable+executable pages" in "\n".join(result.lines)
    (wx, mapped) = number(result, r"^\[MEM\] W\^X check: (\d+) writable\+executable pages \((\d+) pages mapped\)$")
    assert wx == 0
    (direct_mib,) = number(result, r"^\[MEM\] direct map: (\d+) MiB of physical memory")
    text, rodata, data = number(result, r"text (\d+) pages RX, rodata (\d+) pages R NX, data\+bss (\d+) pages RW NX")
    # The audit walked every page mapped: the direct map in 2 MiB pages, the image by page.
    assert mapped == direct_mib * 256 + text + rodata + data
    assert "[MEM] guard pages: 4 unmapped (below the kernel stack and each IST stack); null page unmapped" in result.lines


def test_seabios_map_is_mended_and_the_warning_counts_each_repair(boot):
    # SeaBIOS's map has a sub-page usable end (0x9fc00): trimmed, and said so.
    result = boot()
    warning = [line for line in result.lines if line.startswith("[MEM] warning: memory map mended")]
    assert len(warning) == 1
    assert "0 overlaps resolved" in warning[0] and "1 usable regions trimmed to pages" in warning[0]

