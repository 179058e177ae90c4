"""QEMU's own view of the page tables the CPU is using: the monitor's
`info tlb` (asked over QMP), one line a mapped page,

    ffff800000200000: 0000000000200000 X-P-----W

virtual address, physical address, then the flags X (NX set), G (global),
P (a 2 MiB page), D, A, C, T, U and W (writable), '-' where clear. An
oracle for what the kernel's log claims about its mappings."""

import re
from dataclasses import dataclass

from .elf import KernelElf

from .qmp import QmpClient

LINE = re.compile(r"^([0-9a-f]{16}): ([0-9a-f]{16}) ([X-])([G-])([P-])([D-])([A-])([C-])([T-])([U-])([W-])$")
PAGE = 4096
# The uncached window for device registers (local and I/O APICs),
# src/arch/paging.h: one PML4 slot, right where the direct map's room ends.
DEVICE_WINDOW_BASE = 0xFFFFBF0000000000
DEVICE_WINDOW_END = DEVICE_WINDOW_BASE + 2**39
# The boot loader's framebuffer (src/arch/paging.h: kFramebufferWindow): the
# next PML4 slot.
FRAMEBUFFER_WINDOW_BASE = DEVICE_WINDOW_END
FRAMEBUFFER_WINDOW_END = FRAMEBUFFER_WINDOW_BASE + 2**39
LARGE_PAGE = 2 * 1024 * 1024


@dataclass(frozen=True)
class Page:
    address: int
    physical: int
    size: int
    writable: bool
    no_execute: bool
    cache_disabled: bool = False  # PCD
    write_through: bool = False  # PWT


def read_tlb(qmp):
    """Every page mapped now, from QEMU's monitor over a QmpClient."""
    text = qmp.execute("human-monitor-command", **{"command-line": "info tlb"})
    pages = []
    for line in text.splitlines():
        match = LINE.match(line.strip())
        if match is None:
            raise ValueError(f"unexpected `info tlb` line: {line!r}")
        address, physical, nx, _g, large, _d, _a, cache_disabled, write_through, _u, writable = match.groups()
        pages.append(Page(int(address, 16), int(physical, 16), LARGE_PAGE if large == "P" else PAGE,
                          writable == "W", nx == "X", cache_disabled == "C", write_through == "T"))
    return pages


def tlb_once_ready(running):
    """The pages of a RunningBoot started with qmp=True, once it is ready;
    then stops it. Returns (pages, BootResult)."""
    running.wait_for_line("[BOOT] RayOS ready")
    qmp = QmpClient(running.workdir / "qmp.sock")
    try:
        pages = read_tlb(qmp)
    finally:
        qmp.close()
    return pages, running.finish()


def in_range(pages, start, end):
    """The pages that lie in [start, end)."""
    return [page for page in pages if start <= page.address < end]


def section_bounds(elf_path, name):
    """(start, end) of an image section, from the linker's __name_start and
    __name_end symbols."""
    return KernelElf(elf_path).linker_bounds(name)
