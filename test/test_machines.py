"""RayOS on every machine it claims: QEMU's i440fx and q35, its default CPU
and -cpu max, one and four CPUs, SeaBIOS and OVMF, 64 MiB to 8 GiB. Each
boot must pass and its memory figures must add up: the map against -m,
the frame allocator against the map, the seed's heap relations, W^X.

Under BIOS every combination boots (16, under a second each); under UEFI,
where a boot costs about 4 s more, four combinations that still give each
value of each dimension at least once, and both sizes on both machines."""

import itertools
import re

import pytest

from harness.boot_figures import MIB, assert_frames_as_expected, assert_seed_heap_relations, number, physical, \
    usable_regions
from harness.outcome import Outcome

MACHINES = ("pc", "q35")
CPUS = (None, "max")
CPU_COUNTS = (1, 4)
MEMORY_MIB = (64, 8192)

BIOS_MATRIX = [("bios", *combination) for combination in itertools.product(MACHINES, CPUS, CPU_COUNTS, MEMORY_MIB)]
UEFI_MATRIX = [
    ("uefi", "pc", None, 1, 64),
    ("uefi", "q35", "max", 4, 8192),
    ("uefi", "pc", "max", 4, 8192),
    ("uefi", "q35", None, 1, 64),
]
STARVED_TIMER = re.compile(r"^\[TIMER\] warning: (the (?:PIT|local APIC timer) delivered [\d.]+ Hz, "
                           r"more than 2% from the 1000 Hz programmed: ticks were lost|"
                           r"TSC [\d.]+ MHz against the PIT disagrees with [\d.]+ MHz "
                           r"against the ACPI PM timer by more than 2%; using the ACPI PM timer)$")
# What the firmware keeps of -m for itself (tables, its own code and data).
FIRMWARE_RESERVE_MIB = {"bios": 3, "uefi": 8}
# Each boot captures the boot information through gdb (the figures' oracle).
pytestmark = [pytest.mark.matrix, pytest.mark.gdb]


def matrix_id(row):
    firmware, machine, cpu, cpus, memory_mib = row
    return f"{firmware}-{machine}-{cpu or 'default'}-{cpus}cpu-{memory_mib}M"


def matrix_rows():
    return [pytest.param(row, id=matrix_id(row), marks=[pytest.mark.uefi, pytest.mark.slow] if row[0] == "uefi" else [])
            for row in BIOS_MATRIX + UEFI_MATRIX]


@pytest.mark.parametrize("row", matrix_rows())
def test_boots_and_the_figures_add_up(boot, kernel_elf, row):
    firmware, machine, cpu, cpus, memory_mib = row
    result = boot(firmware=firmware, machine=machine, cpu=cpu, smp=cpus, memory=f"{memory_mib}M",
                  timeout=90 if firmware == "uefi" else 30, capture_boot_information=True)
    assert result.outcome is Outcome.PASSED, result.reason
    # Not one warning, except where the host starved QEMU: a TCG guest then
    # misses timer ticks (the emulated PIC merges them), and the kernel,
    # measuring the PIT against the ACPI PM timer, rightly says so.
    warnings = [line for line in result.kernel_lines if "warning" in line.lower()]
    starved = [line for line in warnings if STARVED_TIMER.match(line)]
    if starved:
        print("host load cost the guest timer ticks:", *starved, sep="\n")
    assert [line for line in warnings if line not in starved] == []
    assert_frames_as_expected(result, kernel_elf)

    usable = usable_regions(result)
    (map_usable,) = number(result, r"^\[MEM\] usable memory: (\d+) bytes")
    assert map_usable == sum(length for _, length in usable)
    assert (memory_mib - FIRMWARE_RESERVE_MIB[firmware]) * MIB <= map_usable <= memory_mib * MIB
    if memory_mib > 4096:
        # QEMU puts memory past the PCI hole above 4 GiB; the direct map reaches it.
        above = sum(length for base, length in usable if base >= 4096 * MIB)
        assert above >= (memory_mib - 4096) * MIB
        (direct_mib,) = number(result, r"^\[MEM\] direct map: (\d+) MiB of physical memory")
        assert direct_mib * MIB >= max(base + length for base, length in usable)

    frames = physical(result)
    assert frames["free"] + frames["used"] == frames["usable"]
    assert frames["usable"] * 4096 <= map_usable
    assert frames["usable_mib"] == frames["usable"] * 4096 // MIB
    assert_seed_heap_relations(result)
    assert "[MEM] W^X check: 0 writable+executable pages" in "\n".join(result.lines)
