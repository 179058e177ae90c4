"""RayOS on every machine it claims: QEMU's i440fx and q35, its default CPU
and -cpu max, 1, 2, 4, 8 and 16 CPUs, SeaBIOS and OVMF, 64 MiB and 8 GiB.
Each boot must pass and its memory figures must add up (the map against -m,
the frame allocator against the map, the seed's heap relations, W^X), and
every CPU must be at work: the [SMP] line counts -smp CPUs with the APIC IDs
QEMU gave them (QMP), the [APIC] line names the mode QEMU's CPU offers, and
when the row's work is done every CPU is halted in the kernel's higher half.

Covered, not the full product (40 BIOS and 40 UEFI boots would cost the
suite minutes): under BIOS every machine x CPU model x CPU count (20 boots,
a few seconds each), the memory size alternating with the CPU count so that
each machine x CPU model meets both sizes; under UEFI, where a boot costs
about 4 s more, five rows that still give each value of each dimension at
least once, every machine x CPU model pair and both sizes on both machines.

x2APIC: QEMU 7.2's TCG offers no x2APIC even with -cpu max, so every row
runs the kernel in xAPIC mode. The check is not hard-coded: it asks QEMU
whether its CPU has the x2apic feature (QOM) and wants the mode the kernel
prints to match, so a QEMU that offers x2APIC makes those rows check it.

Each row runs ROW_WORD after the ready line: the torture tests (heap,
frames, lock, on every CPU at once) at a tenth of their operations, which
proves them on every machine in seconds even with 16 CPUs on the 2-core
host; the kernel-test run (test_kernel.py, 4 CPUs) and ci/stress.sh
--torture run them in full. The boot has no isa-debug-exit device, so the
end of the run is the kernel's final `cli; hlt` on the boot CPU, where QMP
can still see every CPU; the row waits for that, then checks: every KTAP
result ok, and each torture test ran on all -smp CPUs."""

import itertools
import re
import time

import pytest

from harness import ktap
from harness.boot_figures import MIB, assert_frames_as_expected, assert_seed_heap_relations, number, physical, \
    usable_regions
from harness.cpus import APIC_MODE_LINE, SMP_LINE, assert_every_cpu_halted_in_the_kernel, \
    assert_smp_line_matches_qemu, qemu_apic_ids, qemu_cpu_states, qemu_offers_x2apic, qmp_of, \
    sample_until_every_cpu_halts
from harness.outcome import READY_PREFIX

# What each row does once ready: `exit`, or `test=<suite>` to run kernel tests.
TORTURE_SUITES = ("heap_torture", "frame_torture", "lock_torture")
ROW_WORD = "torture_percent=10 test=" + ",".join(f"{suite}.*" for suite in TORTURE_SUITES)
TORTURE_CPUS = re.compile(r"^    # (\w+) torture on (\d+) CPUs")

MACHINES = ("pc", "q35")
CPUS = (None, "max")
CPU_COUNTS = (1, 2, 4, 8, 16)
MEMORY_MIB = (64, 8192)

# The memory size alternates down the CPU counts, the other way round for
# -cpu max: each machine x CPU model, and each machine x CPU count, meets both.
BIOS_MATRIX = [("bios", machine, cpu, count, MEMORY_MIB[(index + CPUS.index(cpu)) % 2])
               for machine, cpu in itertools.product(MACHINES, CPUS)
               for index, count in enumerate(CPU_COUNTS)]
UEFI_MATRIX = [
    ("uefi", "pc", None, 1, 64),
    ("uefi", "q35", "max", 2, 8192),
    ("uefi", "pc", "max", 4, 8192),
    ("uefi", "q35", None, 8, 64),
    ("uefi", "pc", None, 16, 8192),
]
STARVED_TIMER = re.compile(r"^\[TIMER\] warning: (the (?:PIT|local APIC timer) delivered ([\d.]+) Hz, "
                           r"more than 2% (?:below the 1000 Hz programmed: ticks were lost|"
                           r"above the 1000 Hz programmed: more ticks came than were programmed)|"
                           r"TSC [\d.]+ MHz against the (?:PIT|local APIC timer) disagrees with [\d.]+ MHz "
                           r"against the ACPI PM timer by more than 2%; using the ACPI PM timer)$")
# A host stall makes the timer late, then (QEMU's local APIC timer) catch up
# in a burst; a timer programmed wrong is off by a power of two or more.
STARVED_RATE_BOUNDS_HZ = (0, 1500)


def starved_timer(line):
    """Whether line is a warning the host's load explains."""
    match = STARVED_TIMER.match(line)
    return match is not None and (match.group(2) is None
                                  or STARVED_RATE_BOUNDS_HZ[0] < float(match.group(2)) < STARVED_RATE_BOUNDS_HZ[1])


# What the firmware keeps of -m for itself (tables, its own code and data).
FIRMWARE_RESERVE_MIB = {"bios": 3, "uefi": 8}
POLL_SECONDS = 0.2
# Each boot captures the boot information through gdb (the figures' oracle)
# and asks QEMU's monitor about its CPUs.
# On the kernel-test boot's worker, one after the other: 16 busy virtual CPUs
# beside the kernel tests' timer measurements starve them for seconds.
pytestmark = [pytest.mark.matrix, pytest.mark.gdb, pytest.mark.xdist_group("kernel-tests")]


def matrix_id(row):
    firmware, machine, cpu, cpus, memory_mib = row
    return f"{firmware}-{machine}-{cpu or 'default'}-{cpus}cpu-{memory_mib}M"


# Rows of this many CPUs take 4 to 13 s under TCG on a 2-core host: slow
# (pytest.ini), as every UEFI row is.
SLOW_ROW_CPUS = 8


def row_marks(row):
    firmware, _, _, cpus, _ = row
    return ([pytest.mark.uefi] if firmware == "uefi" else []) + (
        [pytest.mark.slow] if firmware == "uefi" or cpus >= SLOW_ROW_CPUS else [])


def matrix_rows():
    return [pytest.param(row, id=matrix_id(row), marks=row_marks(row)) for row in BIOS_MATRIX + UEFI_MATRIX]


def wait_for_the_final_halt(running, qmp, timeout):
    """Waits until the boot CPU (QEMU's CPU 0) sits in the kernel's final
    `cli; hlt`: the row's work is done. Returns the CPU states then."""
    deadline = time.monotonic() + timeout
    while True:
        states, text = qemu_cpu_states(qmp)
        _, halted, interrupts_on = states[0]
        ready = any(line.startswith(READY_PREFIX) for line in running.lines())
        if ready and halted and not interrupts_on:
            # The others idle, waking for their ticks: a sample with all halted.
            return sample_until_every_cpu_halts(qmp, settled=lambda states: not states[0][2])
        if time.monotonic() > deadline or running.process.poll() is not None:
            raise AssertionError(f"the boot CPU never reached the final halt within {timeout} s\n{text}")
        time.sleep(POLL_SECONDS)


def assert_row_work_done(result, cpus):
    """What ROW_WORD asked for happened: nothing after the ready line for
    `exit`; for `test=`, every kernel test ok and each torture test on
    every CPU."""
    kernel_lines = result.kernel_lines
    assert not [line for line in kernel_lines if line.startswith(("[PANIC]", "[BOOT] FATAL"))], result.report()
    assert any(line.startswith(READY_PREFIX) for line in kernel_lines), result.report()
    if any(word == "test" or word.startswith("test=") for word in ROW_WORD.split()):
        run = ktap.parse(result.lines)
        assert run.complete and run.all_ok, (run.missing, run.errors)
        ran_on = {match.group(1): int(match.group(2)) for match in map(TORTURE_CPUS.match, result.lines) if match}
        assert ran_on == {suite.removesuffix("_torture"): cpus for suite in TORTURE_SUITES}, ran_on
    else:
        assert kernel_lines[-1].startswith(READY_PREFIX), kernel_lines[-1]


@pytest.mark.parametrize("row", matrix_rows())
def test_boots_every_cpu_works_and_the_figures_add_up(running_boot, kernel_elf, row):
    firmware, machine, cpu, cpus, memory_mib = row
    timeout = 90 if firmware == "uefi" else 45
    running = running_boot(cmdline=ROW_WORD, firmware=firmware, machine=machine, cpu=cpu, smp=cpus,
                           memory=f"{memory_mib}M", exit_device=False, qmp=True, timeout=timeout,
                           capture_boot_information=True)
    with qmp_of(running) as qmp:
        states, text = wait_for_the_final_halt(running, qmp, timeout)
        expected_ids = qemu_apic_ids(qmp)
        x2apic = qemu_offers_x2apic(qmp)
    result = running.finish()
    assert_row_work_done(result, cpus)

    # Every CPU QEMU made is online under the APIC ID QEMU gave it, in the
    # mode QEMU's CPU offers, and halted in the kernel's higher half.
    (smp_line,) = result.lines_with("[SMP] ")
    match = SMP_LINE.match(smp_line)
    assert match, smp_line
    assert_smp_line_matches_qemu(match, cpus, expected_ids)
    modes = [APIC_MODE_LINE.match(line).group(1) for line in result.kernel_lines if APIC_MODE_LINE.match(line)]
    assert modes == ["x2APIC" if x2apic else "xAPIC"], modes
    assert len(states) == cpus, text
    assert_every_cpu_halted_in_the_kernel(states, text)

    # Not one warning, except where the host starved QEMU: a TCG guest then
    # misses timer ticks (the emulated PIC merges them), and the kernel,
    # measuring the PIT against the ACPI PM timer, rightly says so.
    warnings = [line for line in result.kernel_lines if "warning" in line.lower()]
    starved = [line for line in warnings if starved_timer(line)]
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
