"""Memory at boot: the mended map, the frame allocator's figures, the
kernel's own page tables and their W^X audit. The figures must add up."""

import re

import pytest

from harness import ktap
from harness.boot_figures import MIB, assert_frames_as_expected, assert_seed_heap_relations, number, \
    usable_regions
from harness.expected_memory import kernel_image_end
from harness.kernel_test_run import skip_reason
from harness.kernel_tests import read_kernel_tests
from harness.outcome import Outcome
from harness.qmp import QmpClient
from harness.screen import read_ppm
from harness.qemu_tlb import (DEVICE_WINDOW_BASE, DEVICE_WINDOW_END, FRAMEBUFFER_WINDOW_BASE, FRAMEBUFFER_WINDOW_END,
                              in_range, section_bounds, tlb_once_ready)


@pytest.mark.slow
@pytest.mark.gdb
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


@pytest.mark.parametrize("options", [{}, {"cpu": "max"},
                                     pytest.param({"firmware": "uefi", "timeout": 90},
                                                  marks=[pytest.mark.uefi, pytest.mark.slow])])
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
    assert ("[MEM] guard pages: 4 unmapped (below the kernel stack and each IST stack); null page unmapped"
            in result.lines)


def test_seabios_map_is_trimmed_to_pages_and_said_so_without_a_warning(boot):
    # SeaBIOS's map has a sub-page usable end (0x9fc00): trimmed, and said so,
    # but as information: a normal boot has nothing for a user to act on
    # (on a clock the host's load cannot bend, so no timer warning either).
    result = boot(deterministic_clock=True)
    assert result.outcome is Outcome.PASSED, result.reason
    assert "[MEM] memory map: 1 usable regions trimmed to whole pages" in result.lines
    assert [line for line in result.kernel_lines if "warning" in line.lower()] == []


DIRECT_MAP_BASE = 0xFFFF800000000000  # src/mm/direct_map.h


def qemu_region_starts(tree, name):
    """Where QEMU's memory tree (monitor `info mtree`) puts the regions called name."""
    return {int(start, 16) for start in re.findall(rf"([0-9a-f]+)-[0-9a-f]+ \(prio -?\d+, i/o\): {name}\s*$", tree,
                                                   re.MULTILINE)}


@pytest.mark.slow
def test_qemu_sees_the_rights_the_boot_log_claims(running_boot, kernel_elf):
    running = running_boot(cmdline="", qmp=True)
    running.wait_for_line("[BOOT] RayOS ready")
    qmp = QmpClient(running.workdir / "qmp.sock")
    try:
        tree = qmp.execute("human-monitor-command", **{"command-line": "info mtree"})
        qmp.execute("screendump", filename=str(running.workdir / "screen.ppm"))
    finally:
        qmp.close()
    display = read_ppm(running.workdir / "screen.ppm")
    display_width, display_height = display.width, display.height
    pages, result = tlb_once_ready(running)
    # "W^X check: 0 writable+executable pages": none, heap pages included.
    (wx,) = number(result, r"^\[MEM\] W\^X check: (\d+) writable\+executable pages")
    assert wx == 0 == sum(page.size for page in pages if page.writable and not page.no_execute)
    # "text N pages RX, rodata N pages R NX, data+bss N pages RW NX"
    text, rodata, data = number(result, r"text (\d+) pages RX, rodata (\d+) pages R NX, data\+bss (\d+) pages RW NX")
    text_pages = in_range(pages, *section_bounds(kernel_elf, "text"))
    assert len(text_pages) == text and all(not p.writable and not p.no_execute for p in text_pages)
    rodata_pages = in_range(pages, *section_bounds(kernel_elf, "rodata"))
    assert len(rodata_pages) == rodata and all(not p.writable and p.no_execute for p in rodata_pages)
    data_pages = in_range(pages, *section_bounds(kernel_elf, "data"))
    sealed = in_range(pages, *section_bounds(kernel_elf, "ro_after_init"))
    assert len(data_pages) == data and all(p.no_execute for p in data_pages)
    assert sealed and all(p.writable == (p not in sealed) for p in data_pages)
    # "direct map: N MiB ... RW NX": all of it, and nothing beyond.
    (direct_mib,) = number(result, r"^\[MEM\] direct map: (\d+) MiB of physical memory at 0xffff800000000000, RW NX;")
    direct = in_range(pages, DIRECT_MAP_BASE, DEVICE_WINDOW_BASE)
    assert sum(page.size for page in direct) == direct_mib * MIB
    assert all(page.writable and page.no_execute and page.physical == page.address - DIRECT_MAP_BASE
               for page in direct)
    # The device window: the local APIC's and the I/O APIC's registers, where
    # QEMU put them, uncached, no-execute, and nothing else.
    devices = in_range(pages, DEVICE_WINDOW_BASE, DEVICE_WINDOW_END)
    io_apics = qemu_region_starts(tree, "ioapic")
    local_apic = qemu_region_starts(tree, "apic-msi")
    assert len(io_apics) == 1 and len(local_apic) == 1, (io_apics, local_apic)
    assert sorted(page.physical for page in devices) == sorted(io_apics | local_apic)
    assert all(page.size == 4096 and page.writable and page.no_execute and page.cache_disabled for page in devices)
    # The framebuffer window: the pages "[FB] ... N pages mapped uncached NX"
    # claims, over QEMU's video memory from its start, in order, and no more.
    (fb_pages,) = number(result, r"^\[FB\] framebuffer .*: (\d+) pages mapped uncached NX at 0xffffbf8000000000$")
    # The size from QEMU's own display: its screendump's width and height,
    # 4 bytes a pixel, lines packed (the standard VGA's pitch in 32 bits).
    assert fb_pages == -(-4 * display_width * display_height // 4096)
    framebuffer = sorted(in_range(pages, FRAMEBUFFER_WINDOW_BASE,
                         FRAMEBUFFER_WINDOW_END), key=lambda page: page.address)
    (vram,) = {int(start, 16) for start in re.findall(r"([0-9a-f]+)-[0-9a-f]+ \(prio -?\d+, ram\): vga\.vram\s*$",
                                                      tree, re.MULTILINE)}
    assert len(framebuffer) == fb_pages
    assert [page.physical for page in framebuffer] == [vram + 4096 * i for i in range(fb_pages)]
    assert all(page.address == FRAMEBUFFER_WINDOW_BASE + page.physical - vram for page in framebuffer)
    assert all(page.size == 4096 and page.writable and page.no_execute and page.cache_disabled
               for page in framebuffer)


def ktest_outcomes(result):
    run = ktap.parse(result.lines)
    assert run.complete and not run.errors, run.errors
    return run.results


@pytest.mark.slow
def test_kernel_tests_pass_at_8_mib(boot):
    # Each suite passed alone here, but a test that left through a KASSERT
    # kept its frames and blocks, and starved the ones after it.
    result = boot(memory="8M", cmdline="test", timeout=300)
    results = ktest_outcomes(result)
    assert [name for name, outcome in results.items() if not outcome.ok] == []
    assert result.exit_status == 33, result.reason


# The smallest memory that boots follows the size of GRUB and the image, so
# the test finds it itself: GRUB cannot load the kernel in 3 MiB, and RayOS
# promises to boot in 8 MiB; between them, bisection in 64 KiB steps.
NEVER_BOOTS_KIB, ALWAYS_BOOTS_KIB, STEP_KIB = 3072, 8192, 64


def boots_in(boot, kib):
    """Whether the kernel reaches its ready line with -m kib; when GRUB has
    no room for it, it must say so (never a hang, never a half boot)."""
    result = boot(memory=f"{kib}K", timeout=30, stop_on="error: you need to load the kernel first")
    if result.outcome is Outcome.PASSED:
        return True
    assert result.outcome is Outcome.STOPPED, result.reason
    assert "error: out of memory." in result.lines
    assert not any(line.startswith("[BOOT]") for line in result.lines), "a half boot"
    return False


@pytest.mark.slow
def test_the_smallest_memory_that_boots_runs_every_kernel_test(boot, kernel_elf):
    low, high = NEVER_BOOTS_KIB, ALWAYS_BOOTS_KIB
    assert not boots_in(boot, low)
    assert boots_in(boot, high)
    while high - low > STEP_KIB:
        middle = (low + high) // 2 // STEP_KIB * STEP_KIB
        low, high = (low, middle) if boots_in(boot, middle) else (middle, high)
    print(f"smallest memory that boots: {high} KiB")

    result = boot(memory=f"{high}K", cmdline="test", timeout=300)
    results = ktest_outcomes(result)
    assert set(results) == {test.id for test in read_kernel_tests(kernel_elf) if not test.explicit}
    assert [name for name, outcome in results.items() if not outcome.ok] == []
    # Only the heap's give-back needs more memory than this has (the heap
    # keeps 3 MiB before it gives any back), and it says so; and this boot
    # has one CPU, so the IPI round trip has no other CPU to measure against.
    skipped = {name: skip_reason(outcome) for name, outcome in results.items() if skip_reason(outcome)}
    expected_reasons = {"heap.memory_goes_back_to_the_frame_allocator": "needs free frames for",
                        "cross_cpu_call.ipi_round_trip": "one CPU online"}
    assert set(skipped) <= set(expected_reasons), skipped
    assert all(expected_reasons[name] in reason for name, reason in skipped.items()), skipped
    assert result.exit_status == 33, result.reason
