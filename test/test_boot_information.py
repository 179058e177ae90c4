"""Malformed Multiboot2 information through the real boot path.

GRUB only ever builds good structures, so these boots enter RayOS through
the hand-off loader (test/direct_boot/handoff_loader.asm): QEMU boots the
loader, the loader loads rayos.elf by its program headers and jumps to its
entry with EAX and EBX as a Multiboot2 loader would, EBX pointing at a
structure built here (harness/multiboot2.py). Each structure gets a defined
result: rejected with the reason named, or mended and booted. Never a
hang, a reset or a triple fault."""

import struct
from dataclasses import dataclass

import pytest

from harness import multiboot2 as mb2
from harness.outcome import Outcome

INFO = mb2.DEFAULT_INFO_ADDRESS
MIB = mb2.MIB


@dataclass
class Rejected:
    """A [PANIC] line starting with this text, and the failure exit."""
    panic: str


@dataclass
class Fatal:
    """The trampoline's [BOOT] FATAL line, and the failure exit."""
    line: str


@dataclass
class Booted:
    """The ready line and the success exit, with these lines among the log."""
    lines: tuple = ()
    usable_mib: int | None = None   # the kernel's usable memory figure, in MiB
    warnings: bool = True           # False: no line may warn (nothing for a user to act on)


def rejected(reason):
    return Rejected("[PANIC] Multiboot2 information rejected: " + reason)


def refused_framebuffer(problem):
    """Booted, on serial only, with the framebuffer refused for this reason."""
    return Booted((f"[FB] framebuffer refused: {problem}; the log is on serial only",))


def good_tags(cmdline="exit", map_tag=None):
    return [mb2.command_line(cmdline), mb2.bootloader_name(), mb2.basic_memory(),
            mb2.memory_map() if map_tag is None else map_tag]


def structure(*tags, total_size=None, trailing=b""):
    """The good tags, then these, then the end tag."""
    data = mb2.information([*good_tags(), *tags, mb2.end()])
    if total_size is not None:
        data = struct.pack("<I", total_size) + data[4:]
    return data + trailing


def without_end_tag():
    return mb2.information(good_tags())


def regions_with(*extra, memory_mib=128):
    return mb2.qemu_like_regions(memory_mib) + list(extra)


def many_reserved_regions(count):
    return [(0x100000000 + index * 0x10000, 0x1000, mb2.MEMORY_RESERVED) for index in range(count)]


# Usable memory of the default 128 MiB map: [0, 0x9F000) and [1 MiB, 128 MiB - 128 KiB).
DEFAULT_USABLE_MIB = (0x9F000 + 128 * MIB - 0x20000 - 0x100000) >> 20

CASES = {
    # Where the structure is, and what EAX says.
    "null_address": (mb2.handoff(b"", ebx=0), rejected("no boot information (null address)")),
    "outside_the_early_direct_map": (
        mb2.handoff(b"", ebx=0xFFF00000),
        Rejected("[PANIC] Multiboot2 information at 0xfff00000 lies outside the early direct map")),
    "not_8_byte_aligned": (mb2.handoff(mb2.bootable(), copy_to=INFO + 4),
                           rejected("structure is not 8-byte aligned")),
    "multiboot1_magic": (mb2.handoff(mb2.bootable(), eax=0x2BADB002),
                         Fatal("[BOOT] FATAL: not started by a Multiboot2 loader (EAX=0x2badb002")),
    # total_size.
    "total_size_below_the_header": (structure(total_size=4), rejected("total_size is too small to hold the end tag")),
    "total_size_without_room_for_the_end_tag": (structure(total_size=8),
                                                rejected("total_size is too small to hold the end tag")),
    "total_size_implausible": (structure(total_size=0x7FFFFFF8), rejected("total_size is implausibly large")),
    "total_size_not_a_multiple_of_8": (structure(total_size=len(structure()) + 4, trailing=bytes(8)),
                                       rejected("total_size is not a multiple of 8")),
    # Tags.
    "tag_runs_past_total_size": (structure(mb2.tag(0x7777, bytes(8), size=4096)),
                                 rejected("tag runs past total_size")),
    "tag_smaller_than_its_header": (structure(mb2.tag(0x7777, b"", size=4)),
                                    rejected("tag size is smaller than a tag header")),
    "no_end_tag": (without_end_tag(), rejected("tags run past total_size without an end tag")),
    "end_tag_of_16_bytes": (mb2.information([*good_tags(), mb2.tag(mb2.TAG_END, bytes(8))]),
                            rejected("end tag must be 8 bytes")),
    "end_tag_before_total_size": (structure(total_size=len(structure()) + 16, trailing=bytes(16)),
                                  rejected("end tag is not where total_size says")),
    "unterminated_command_line": (
        mb2.information([mb2.command_line("exit", terminated=False), mb2.bootloader_name(),
                         mb2.memory_map(), mb2.end()]),
        rejected("string is not NUL-terminated inside its tag (tag type 1, field string")),
    "unterminated_bootloader_name": (
        mb2.information([mb2.command_line("exit"), mb2.bootloader_name("GRUB 2.06", terminated=False),
                         mb2.memory_map(), mb2.end()]),
        rejected("string is not NUL-terminated inside its tag (tag type 2, field string")),
    "basic_memory_tag_of_20_bytes": (structure(mb2.tag(mb2.TAG_BASIC_MEMORY, bytes(12))),
                                     rejected("basic memory info tag must be 16 bytes")),
    "truncated_acpi_rsdp": (structure(mb2.acpi_old_rsdp(length=12)),
                            rejected("RSDP copy is shorter than the ACPI table")),
    # The memory map.
    "no_memory_map": (mb2.information([mb2.command_line("exit"), mb2.bootloader_name(), mb2.end()]),
                      rejected("no memory map tag")),
    "second_memory_map": (structure(mb2.memory_map()), rejected("second memory map tag")),
    "memory_map_smaller_than_its_fields": (
        mb2.information([*good_tags(map_tag=mb2.tag(mb2.TAG_MEMORY_MAP, struct.pack("<I", 24))), mb2.end()]),
        rejected("tag is smaller than its fixed fields (tag type 6, field size")),
    "memory_map_entry_size_20": (
        mb2.information([*good_tags(map_tag=mb2.memory_map(entry_size=20)), mb2.end()]),
        rejected("entry_size must be at least 24 and a multiple of 8")),
    "memory_map_entry_size_28": (
        mb2.information([*good_tags(map_tag=mb2.memory_map(entry_size=28)), mb2.end()]),
        rejected("entry_size must be at least 24 and a multiple of 8")),
    "memory_map_entry_version_1": (
        mb2.information([*good_tags(map_tag=mb2.memory_map(entry_version=1)), mb2.end()]),
        rejected("unknown entry_version")),
    "memory_map_torn_entry": (
        mb2.information([*good_tags(map_tag=mb2.memory_map(extra=bytes(8))), mb2.end()]),
        rejected("size is not a whole number of entries")),
    "memory_map_of_129_entries": (
        mb2.information([*good_tags(map_tag=mb2.memory_map(regions_with(*many_reserved_regions(123)))),
                         mb2.end()]),
        rejected("more memory map entries than the kernel keeps")),
    # Modules.
    "module_ending_before_it_starts": (structure(mb2.module(0x600000, 0x500000)),
                                       rejected("module ends before it starts")),
    "module_tag_smaller_than_its_fields": (structure(mb2.tag(mb2.TAG_MODULE, struct.pack("<I", 0x500000))),
                                           rejected("module tag is smaller than its fixed fields")),
    "seventeen_modules": (structure(*[mb2.module(0x500000 + i * 0x1000, 0x501000 + i * 0x1000)
                                      for i in range(17)]),
                          rejected("more modules than the kernel keeps")),
    "module_beyond_memory": (structure(mb2.module(0xF0000000, 0xF0100000, "beyond")),
                             Rejected("[PANIC] boot module 'beyond' at 0xf0000000-0xf0100000 is not inside "
                                      "usable memory")),
    "module_over_the_kernel_image": (structure(mb2.module(0x180000, 0x190000, "over")),
                                     Rejected("[PANIC] boot module 'over' at 0x180000-0x190000 overlaps the "
                                              "kernel image")),
    "module_over_the_boot_information": (structure(mb2.module(INFO, INFO + 0x1000, "info")),
                                         Rejected(f"[PANIC] boot module 'info' at {INFO:#x}-{INFO + 0x1000:#x} "
                                                  "overlaps the Multiboot2 information")),
    # Memory that cannot hold the kernel's own structures.
    "no_usable_memory": (
        mb2.bootable(regions=[(0, 128 * MIB, mb2.MEMORY_RESERVED)]),
        Rejected("[PANIC] no region of the memory map is usable (1 in all)")),
    "usable_memory_only_below_1_mib": (
        mb2.bootable(regions=[(0, 0x9F000, mb2.MEMORY_AVAILABLE)]),
        Rejected("[PANIC] no usable memory below 4 GiB for the frame bitmaps")),
    "two_mib_of_usable_memory": (
        mb2.bootable(regions=[(0x100000, 2 * MIB, mb2.MEMORY_AVAILABLE)]),
        Rejected("[PANIC] heap: out of memory: 0xffffc10000000000 (no frame for heap pages")),
    # Mended, then booted.
    "overlapping_regions": (
        mb2.bootable(regions=regions_with((32 * MIB, MIB, mb2.MEMORY_RESERVED), (16 * MIB, 8 * MIB,
                                                                                 mb2.MEMORY_AVAILABLE))),
        Booted(("[MEM] warning: memory map mended (8 entries from the loader): 0 empty dropped, 2 overlaps resolved",),
               usable_mib=DEFAULT_USABLE_MIB - 1)),
    "zero_length_entries": (
        mb2.bootable(regions=regions_with((64 * MIB, 0, mb2.MEMORY_RESERVED), (0x200000000, 0,
                                                                               mb2.MEMORY_AVAILABLE))),
        Booted(("[MEM] warning: memory map mended (8 entries from the loader): 2 empty dropped",),
               usable_mib=DEFAULT_USABLE_MIB)),
    "unsorted_entries": (mb2.bootable(regions=list(reversed(mb2.qemu_like_regions()))),
                         Booted(usable_mib=DEFAULT_USABLE_MIB)),
    "usable_region_not_on_pages": (
        # QEMU's 128 MiB with SeaBIOS's ACPI tables on top, so only the trimming differs.
        mb2.bootable(regions=[(0, 0x9FC00, mb2.MEMORY_AVAILABLE),
                              (0x100800, 128 * MIB - 0x20000 - 0x100800, mb2.MEMORY_AVAILABLE),
                              (128 * MIB - 0x20000, 0x20000, mb2.MEMORY_RESERVED)]),
        Booted(("[MEM] memory map: 2 usable regions trimmed to whole pages",), warnings=False)),
    "region_wrapping_past_the_top": (
        mb2.bootable(regions=regions_with((0xFFFFFFFFFFFF0000, 0x20000, mb2.MEMORY_RESERVED))),
        Booted(("[MEM] warning: memory map mended (7 entries from the loader): 0 empty dropped, 0 overlaps "
                "resolved (stricter type wins), 1 cut at the top of memory",), usable_mib=DEFAULT_USABLE_MIB)),
    "unknown_memory_type_is_reserved": (
        mb2.bootable(regions=regions_with((100 * MIB, MIB, 0x99))),
        Booted(("[MEM]   base 0x0000000006400000 length 0x0000000000100000 reserved",),
               usable_mib=DEFAULT_USABLE_MIB - 1)),
    "entry_size_32": (mb2.information([*good_tags(map_tag=mb2.memory_map(entry_size=32)), mb2.end()]),
                      Booted(usable_mib=DEFAULT_USABLE_MIB)),
    "unknown_tags_skipped": (structure(mb2.tag(0x7777, b"not a tag RayOS knows"), mb2.tag(21, bytes(12))),
                             Booted(usable_mib=DEFAULT_USABLE_MIB)),
    "no_bootloader_name_nor_basic_memory": (
        mb2.information([mb2.command_line("exit"), mb2.memory_map(), mb2.end()]),
        Booted(("[BOOT] loader: (unnamed)",))),
    "module_in_usable_memory": (structure(mb2.module(0x500000, 0x502000, "initrd")),
                                Booted(("[BOOT] module 'initrd': 0x500000-0x502000 (8 KiB)",))),
    "acpi_rsdp": (structure(mb2.acpi_old_rsdp()), Booted()),
    # A framebuffer tag that lies costs the screen, never the boot.
    "framebuffer_as_grub_gives_it": (structure(mb2.framebuffer()), Booted((
        "[FB] framebuffer 800x600, 32 bits per pixel, pitch 3200, at 0xfd000000: "
        f"{-(-3200 * 600 // 4096)} pages mapped uncached NX",))),
    # QEMU's TCG CPUs have 40 physical address bits, whatever the model.
    "framebuffer_past_the_cpus_physical_addresses": (
        structure(mb2.framebuffer(address=1 << 51)),
        Booted((f"[FB] framebuffer refused: {1 << 51:#x}-{(1 << 51) + 3200 * 600:#x} is past this CPU's physical "
                f"addresses (below {1 << 40:#x}); the log is on serial only",))),
    "framebuffer_smaller_than_a_character": (structure(mb2.framebuffer(width=7, pitch=28)),
                                             refused_framebuffer("smaller than one character cell (8x16)")),
    "framebuffer_over_usable_memory": (structure(mb2.framebuffer(address=0x400000)),
                                       refused_framebuffer("overlaps usable memory")),
    "framebuffer_pitch_shorter_than_a_line": (structure(mb2.framebuffer(pitch=3000)), refused_framebuffer(
        "pitch is shorter than a line of pixels or not whole pixels")),
    "framebuffer_past_the_physical_address_space": (
        structure(mb2.framebuffer(address=(1 << 52) - 4096)),
        refused_framebuffer("runs past the physical address space")),
    "framebuffer_larger_than_any": (structure(mb2.framebuffer(pitch=0x10000, height=0x10000)),
                                    refused_framebuffer("larger than any framebuffer (over 256 MiB)")),
    "framebuffer_24_bits": (structure(mb2.framebuffer(bits_per_pixel=24, pitch=2400)),
                            refused_framebuffer("not 32 bits per pixel")),
    "framebuffer_ega_text": (structure(mb2.framebuffer(address=0xB8000, pitch=160, width=80, height=25,
                                                       bits_per_pixel=16, kind=2, rgb=())),
                             refused_framebuffer("EGA text mode, not a pixel framebuffer")),
    # What GRUB's VGA driver (all_video) handed over with QEMU's -vga none,
    # read through gdb: 640x480 at 1 bit per pixel, pitch 80, at 0xA0000,
    # one palette entry (a 37-byte tag).
    "framebuffer_indexed_colour": (structure(mb2.framebuffer(address=0xA0000, pitch=80, width=640, height=480,
                                                             bits_per_pixel=1, kind=0,
                                                             rgb=(1).to_bytes(2, "little") + bytes(3))),
                                   refused_framebuffer("indexed (palette) colour is not supported, only direct RGB")),
    "framebuffer_tag_cut_short": (structure(mb2.framebuffer(cut_to=10)),
                                  refused_framebuffer("tag shorter than its fixed fields")),
    "framebuffer_tag_twice": (structure(mb2.framebuffer(), mb2.framebuffer()),
                              refused_framebuffer("the loader sent two framebuffer tags")),
}


# Where the kernel's failure depends on the size of its image (2 MiB from
# 1 MiB up holds the normal image and the frame bitmaps, not the image
# built for coverage).
SIZED_BY_THE_IMAGE = {"two_mib_of_usable_memory"}


@pytest.mark.parametrize("record, expected", [
    pytest.param(*case, id=name, marks=[pytest.mark.uninstrumented] if name in SIZED_BY_THE_IMAGE else [])
    for name, case in CASES.items()])
def test_malformed_boot_information(handoff_boot, record, expected):
    # -icount: a boot expected without a warning must not get the timer's
    # (under plain TCG a busy host makes QEMU's local APIC timer skip
    # periods, and the kernel rightly warns that ticks were lost: a CI run
    # once failed so).
    result = handoff_boot(record if record[:4] == b"RHND" else mb2.handoff(record), timeout=20,
                          deterministic_clock=True)
    assert result.lines_with("[LOADER] entering the kernel"), "the loader did not hand over"
    assert not result.lines_with("[LOADER] FATAL"), "the test's structure did not reach the kernel"
    if isinstance(expected, Booted):
        assert result.outcome is Outcome.PASSED, result.reason
        for line in expected.lines:
            assert any(line in printed for printed in result.lines), line
        if not expected.warnings:
            assert [line for line in result.kernel_lines if "warning" in line.lower()] == []
        if expected.usable_mib is not None:
            usable = next(line for line in result.lines if line.startswith("[MEM] usable memory:"))
            assert usable.endswith(f"({expected.usable_mib} MiB)"), usable
    elif isinstance(expected, Fatal):
        assert result.outcome is Outcome.FATAL, result.reason
        assert result.reason.startswith(expected.line), result.reason
    else:
        assert result.outcome is Outcome.PANIC, result.reason
        assert result.reason.startswith(expected.panic), result.reason
