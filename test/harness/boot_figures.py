"""The figures a boot prints, read back from its serial log: the memory map,
the frame allocator's line and the seed's heap lines, with the relations
between them that every boot must satisfy."""

import re

from .expected_memory import expected_frames, merged

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
    for name, prefix in (("init", "[MEM] Heap allocator initialized at "),
                         ("test", "[MEM] Test allocation successful: "), ("stats", "[MEM] Stats: ")):
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


def _merged(regions):
    """(base, length) regions with touching ones joined."""
    return [(start, end - start) for start, end in merged((base, base + length) for base, length in regions)]


def assert_frames_as_expected(result, kernel_elf):
    """The kernel's map and frame figures against expected_memory.py's,
    computed from the map the loader handed over (the boot needs
    capture_boot_information=True) and the ELF: equal, not merely close."""
    assert result.handed_over is not None, "boot with capture_boot_information=True"
    expected = expected_frames(result.handed_over, kernel_elf)
    assert _merged(usable_regions(result)) == _merged(expected.usable_regions)
    (map_usable,) = number(result, r"^\[MEM\] usable memory: (\d+) bytes")
    assert map_usable == expected.usable_bytes
    (bitmap_bytes,) = number(result, r"^\[MEM\] frame bitmaps: (\d+) bytes")
    assert bitmap_bytes == expected.bitmap_bytes
    frames = physical(result)
    assert frames["total"] == expected.total
    assert frames["usable"] == expected.usable
    assert frames["free"] + frames["used"] == frames["usable"]
    return expected
