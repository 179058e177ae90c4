"""Memory at boot: the mended map, the frame allocator's figures, the
kernel's own page tables and their W^X audit. The figures must add up."""

import pytest

from harness.boot_figures import MIB, assert_frames_as_expected, assert_seed_heap_relations, number, \
    usable_regions
from harness.expected_memory import kernel_image_end
from harness.outcome import Outcome


@pytest.mark.parametrize("memory_mib", [64, 512, 4096])
def test_frame_figures_add_up_and_match_the_map(boot, kernel_elf, memory_mib):
    # Expected figures from the map GRUB handed over (read at the kernel's
    # entry through QEMU's GDB stub) and from the ELF, never from the log.
    result = boot(memory=f"{memory_mib}M", timeout=60, capture_boot_information=True)
    assert result.outcome is Outcome.PASSED, result.reason
    assert_seed_heap_relations(result)
    expected = assert_frames_as_expected(result, kernel_elf)
    # QEMU's -m, less what firmware keeps, is usable.
    assert memory_mib * MIB - 3 * MIB <= expected.usable_bytes <= memory_mib * MIB
    # The bitmaps sit clear of the kernel image, which the ELF places.
    (bitmap_at,) = number(result, r"^\[MEM\] frame bitmaps: \d+ bytes at physical (0x[0-9a-f]+)$")
    assert bitmap_at >= kernel_image_end(kernel_elf) or bitmap_at + expected.bitmap_bytes <= MIB
    assert not (result.handed_over.address < bitmap_at + expected.bitmap_bytes
                and bitmap_at < result.handed_over.end), "the bitmaps sit clear of the boot information"


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


def test_seabios_map_is_trimmed_to_pages_and_said_so_without_a_warning(boot):
    # SeaBIOS's map has a sub-page usable end (0x9fc00): trimmed, and said so,
    # but as information: a normal boot has nothing for a user to act on.
    result = boot()
    assert result.outcome is Outcome.PASSED, result.reason
    assert "[MEM] memory map: 1 usable regions trimmed to whole pages" in result.lines
    assert [line for line in result.kernel_lines if "warning" in line.lower()] == []
