"""What the frame allocator must report, computed outside the kernel: from
the memory map the loader handed over (read at the kernel's entry, see
boot_information_capture.py) and from the ELF's program headers, by the
rules the README states (usable memory in whole pages, the stricter type
winning where entries overlap; the first MiB, the kernel image, the boot
information, modules and the frame bitmaps carved out; frame 0 never)."""

from dataclasses import dataclass

from .elf import KernelElf

from . import multiboot2 as mb2

PAGE = 4096
MIB = 1 << 20
TOP_OF_MEMORY = 1 << 64


def merged(intervals):
    """Sorted (start, end) intervals with overlapping and touching ones joined."""
    merged = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _without(intervals, holes):
    """intervals less every hole (both merged lists)."""
    result = []
    for start, end in intervals:
        for hole_start, hole_end in holes:
            if hole_end <= start or hole_start >= end:
                continue
            if hole_start > start:
                result.append((start, hole_start))
            start = max(start, hole_end)
        if start < end:
            result.append((start, end))
    return result


def usable_memory(regions):
    """The usable stretches, in whole pages: bytes every entry that covers
    them calls usable, and at least one does."""
    usable = merged((base, min(base + length, TOP_OF_MEMORY)) for base, length, kind in regions
                    if kind == mb2.MEMORY_AVAILABLE)
    other = merged((base, min(base + length, TOP_OF_MEMORY)) for base, length, kind in regions
                   if kind != mb2.MEMORY_AVAILABLE)
    pages = [(-(-start // PAGE) * PAGE, end // PAGE * PAGE) for start, end in _without(usable, other)]
    return [(start, end) for start, end in pages if start < end]


def kernel_image_end(kernel_elf):
    """The physical end of the last loadable segment: the image's frames."""
    return KernelElf(kernel_elf).physical_end()


def _frames_touched(start, end):
    return (start // PAGE, -(-end // PAGE))


@dataclass(frozen=True)
class ExpectedFrames:
    usable_regions: list   # (base, length) of the mended map's usable regions
    usable_bytes: int      # the map's usable memory
    total: int             # frames up to the top of usable memory
    bitmap_bytes: int      # two bitmaps of one bit per frame, in 64-bit words
    usable: int            # frames the allocator may hand out


def expected_frames(handed_over, kernel_elf):
    usable = usable_memory(mb2.read_memory_map(handed_over.data))
    total = max(end for _, end in usable) // PAGE
    bitmap_bytes = 2 * 8 * -(-total // 64)
    carved = [(0, 1), _frames_touched(0, MIB), _frames_touched(MIB, kernel_image_end(kernel_elf)),
              _frames_touched(handed_over.address, handed_over.end),
              *(_frames_touched(start, end) for start, end in mb2.read_modules(handed_over.data))]
    free_frames = _without(merged((start // PAGE, end // PAGE) for start, end in usable), merged(carved))
    # The bitmaps go in whole pages of what is left.
    frames = sum(end - start for start, end in free_frames) - -(-bitmap_bytes // PAGE)
    return ExpectedFrames([(start, end - start) for start, end in usable], sum(end - start for start, end in usable),
                          total, bitmap_bytes, frames)
