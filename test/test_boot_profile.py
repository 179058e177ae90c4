"""The boot profile every boot prints (one [BOOT] phase line each, from the
trampoline's first TSC stamp), and the `bench` word's kalloc timing: the
figures ci/benchmark.py reads must be there and add up."""

import re

from harness.outcome import Outcome

PHASES = ["trampoline", "descriptor tables, C++ runtime, console", "CPU identity and protections",
          "boot information", "frame allocator", "kernel page tables", "screen console", "heap",
          "interrupts, timer, keyboard", "PCI", "other CPUs", "scheduler, read-only seal"]


def test_every_phase_is_timed_and_the_phases_add_up_to_the_total(boot):
    result = boot()
    assert result.outcome is Outcome.PASSED, result.reason
    phases = [re.match(r"^\[BOOT\] phase (.+): (\d+) us$", line) for line in result.lines_with("[BOOT] phase ")]
    assert [phase.group(1) for phase in phases] == PHASES
    durations = [int(phase.group(2)) for phase in phases]
    total, mhz, calibration_ms = map(int, re.search(
        r"boot profile: (\d+) us from boot_entry to here, TSC (\d+) MHz "
        r"\(against (?:the ACPI PM timer|the PIT|CPUID) over (\d+) ms\)",
        "\n".join(result.lines)).groups())
    assert mhz > 100 and calibration_ms >= 10
    # The total runs to the end of the last phase: the phases' sum, plus
    # what each phase's truncation to a microsecond lost (under 1 us each).
    assert sum(durations) <= total < sum(durations) + len(PHASES), (total, durations)
    # The timer phase holds the clock measurement (10 ms at least).
    assert durations[PHASES.index("interrupts, timer, keyboard")] >= 10000
    # The profile is printed before the ready line.
    assert result.lines.index("[BOOT] RayOS ready") > max(result.lines.index(phase.group(0)) for phase in phases)


def test_bench_times_kalloc_and_kfree_inside_the_kernel(boot):
    result = boot(cmdline="exit bench")
    assert result.outcome is Outcome.PASSED, result.reason
    figures = [re.match(r"^\[BOOT\] bench: kalloc\+kfree (\d+) bytes: (\d+) cycles per pair \((\d+) ns\)$", line)
               for line in result.lines_with("[BOOT] bench: kalloc")]
    assert [int(figure.group(1)) for figure in figures] == [16, 64, 256, 1024, 4096]
    for figure in figures:
        assert 0 < int(figure.group(2)) and 0 < int(figure.group(3))
