"""Issue 13: every CPU QEMU gives the machine is started (INIT, SIPI, SIPI
through the AP trampoline) and idles in the kernel.

The oracle is QEMU's monitor, not the kernel's line: QMP lists the CPUs it
made (query-hotpluggable-cpus, each CPU's QOM "apic-id" property), and
`info registers -a` shows where each one is. Before the bring-up existed the
other CPUs sat halted in the firmware's wait-for-SIPI state, far below the
kernel's higher half."""

import math
import re

import pytest

from harness.cpus import KERNEL_BASE, SMP_LINE, assert_every_cpu_halted_in_the_kernel, assert_smp_line_matches_qemu, \
    qemu_apic_ids, qemu_cpu_states, qmp_of, sample_until_every_cpu_halts
from harness.outcome import Outcome

BOOT_TIMEOUT = 120


def smp_line(kernel):
    kernel.wait_for_line("[BOOT] RayOS ready", timeout=BOOT_TIMEOUT)
    line = kernel.wait_for_line("[SMP] ", timeout=1)
    match = SMP_LINE.match(line)
    assert match, line
    return match


def smp_params():
    params = []
    for machine in ("pc", "q35"):
        for count in (1, 2, 4, 8):
            params.append(pytest.param(machine, count, None, "rayos", id=f"{machine}-smp{count}"))
    # -cpu max: SMEP, SMAP and UMIP on, in the CR4 the APs take over. Also
    # with the release kernel (-Os, no UBSan: code of its own).
    params.append(pytest.param("q35", 4, "max", "rayos", id="q35-smp4-cpu-max"))
    params.append(pytest.param("q35", 4, "max", "rayos-release", id="q35-smp4-cpu-max-release-kernel"))
    params.append(pytest.param("pc", 8, None, "rayos-release", id="pc-smp8-release-kernel"))
    return params


@pytest.mark.parametrize("machine, count, cpu, kernel_name", smp_params())
def test_every_cpu_is_online_and_idles_in_the_kernel(running_boot, build_dir, machine, count, cpu, kernel_name):
    kernel = running_boot(cmdline="", machine=machine, smp=count, cpu=cpu, qmp=True, timeout=BOOT_TIMEOUT,
                          iso=build_dir / f"{kernel_name}.iso")
    match = smp_line(kernel)
    with qmp_of(kernel) as qmp:
        expected_ids = qemu_apic_ids(qmp)
        states, text = sample_until_every_cpu_halts(qmp)
    assert_smp_line_matches_qemu(match, count, expected_ids)
    if count > 1:
        assert float(match.group(4)) > 0, match.group(0)
    # Every CPU, the boot CPU included, halts in the kernel's idle loop.
    assert len(states) == count, text
    assert_every_cpu_halted_in_the_kernel(states, text)


def test_cpus_the_madt_calls_disabled_are_not_started(running_boot):
    """-smp 2,maxcpus=4: the MADT lists four CPUs, two of them not enabled
    (hot-pluggable). Only the enabled two are started."""
    kernel = running_boot(cmdline="", smp=2, extra_args=("-smp", "2,maxcpus=4"), qmp=True, timeout=BOOT_TIMEOUT)
    match = smp_line(kernel)
    with qmp_of(kernel) as qmp:
        expected_ids = qemu_apic_ids(qmp)
    assert_smp_line_matches_qemu(match, 2, expected_ids)


@pytest.mark.parametrize("cmdline, extra_args, why", [
    ("", ("-no-acpi",), "no MADT"),
    ("noapic", (), "no local APIC"),
])
def test_without_a_madt_or_apic_the_boot_cpu_runs_alone(running_boot, cmdline, extra_args, why):
    """-no-acpi (no MADT names the other CPU) or the boot word noapic: the
    other CPU is not started and stays in the firmware's wait-for-SIPI
    state, outside the kernel."""
    kernel = running_boot(cmdline=cmdline, smp=2, extra_args=extra_args, qmp=True, timeout=BOOT_TIMEOUT)
    kernel.wait_for_line("[BOOT] RayOS ready", timeout=BOOT_TIMEOUT)
    assert kernel.wait_for_line("[SMP] ", timeout=1) == f"[SMP] 1 of 1 CPUs online (the boot CPU only: {why})"
    with qmp_of(kernel) as qmp:
        states, text = qemu_cpu_states(qmp)
    assert len(states) == 2, text
    assert states[0][0] >= KERNEL_BASE, text
    assert states[1][0] < KERNEL_BASE, text


IPI_ROUND_TRIP = re.compile(r"^    # IPI round trip: (\d+) cycles \((\d+) ns\)$")
TSC_RATE_TOLERANCE = 0.03


def cycles_agree_with_nanoseconds(cycles, nanoseconds, host_tsc_mhz, tolerance=TSC_RATE_TOLERANCE):
    """The kernel truncates the time to whole nanoseconds, so the time it
    measured lies in [nanoseconds, nanoseconds + 1) and the TSC rate it
    implies in the interval below; that interval must reach the host's rate
    within the tolerance. (A fixed tolerance on cycles / printed time alone
    failed in CI at 8302 cycles printed as 3.1 us, truncated from 3.198.)"""
    slowest = cycles * 1000 / (nanoseconds + 1)
    fastest = cycles * 1000 / nanoseconds if nanoseconds else math.inf
    return slowest <= host_tsc_mhz * (1 + tolerance) and fastest >= host_tsc_mhz * (1 - tolerance)


@pytest.mark.parametrize("cycles, nanoseconds, host_tsc_mhz, agrees", [
    (8302, 3197, 2596.128, True),   # CI's failing run (3.1 us then), in nanoseconds
    (8302, 3100, 2596.128, False),  # 3.2% off: the old rule's reading of that run
    (8302, 3290, 2596.128, True),   # 2.8% slow
    (8302, 3310, 2596.128, False),  # 3.4% slow
    (3, 0, 2596.128, False),        # [3 GHz, infinity): above the host's rate
    (3, 1, 2596.128, True),         # [1.5 GHz, 3 GHz] holds the host's rate
])
def test_the_round_trip_check_allows_exactly_for_the_printed_truncation(cycles, nanoseconds, host_tsc_mhz, agrees):
    assert cycles_agree_with_nanoseconds(cycles, nanoseconds, host_tsc_mhz) is agrees


@pytest.mark.parametrize("cpus", [2, 4])
def test_cross_cpu_calls_and_tlb_shootdowns_work_on_every_cpu(boot, host_tsc_mhz, cpus):
    """The run_on_cpus and TLB shootdown kernel tests with several CPUs (the
    kernel-test run boots one): all pass, and the IPI round trip figure's
    cycles and nanoseconds agree with the host's TSC rate."""
    result = boot(cmdline="test=cross_cpu_call.*,tlb_shootdown.*", smp=cpus, timeout=60)
    assert result.outcome is Outcome.PASSED, result.reason
    assert not [line for line in result.lines if line.lstrip().startswith("not ok")]
    figures = [IPI_ROUND_TRIP.match(line) for line in result.lines if IPI_ROUND_TRIP.match(line)]
    assert len(figures) == 1, result.lines_with("    #")
    cycles, nanoseconds = int(figures[0].group(1)), int(figures[0].group(2))
    assert cycles > 0 and nanoseconds > 0
    assert cycles_agree_with_nanoseconds(cycles, nanoseconds, host_tsc_mhz), (cycles, nanoseconds, host_tsc_mhz)
