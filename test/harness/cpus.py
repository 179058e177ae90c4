"""The CPUs of a running QEMU, read from its monitor (QMP): the oracle for
what the kernel says about them in its [SMP] and [APIC] lines."""

import re
import time
from contextlib import contextmanager

from .qmp import QmpClient

SMP_LINE = re.compile(r"\[SMP\] (\d+) of (\d+) CPUs online \(APIC IDs ([0-9 ]+)\), bring-up (\d+\.\d) ms$")
APIC_MODE_LINE = re.compile(r"^\[APIC\] (x2APIC|xAPIC) mode, ")
KERNEL_BASE = 0xFFFFFFFF80000000
INTERRUPT_FLAG = 1 << 9


@contextmanager
def qmp_of(running):
    """A QMP connection to a RunningBoot started with qmp=True."""
    qmp = QmpClient(running.workdir / "qmp.sock")
    try:
        yield qmp
    finally:
        qmp.close()


def _cpu_paths(qmp):
    slots = qmp.execute("query-hotpluggable-cpus")
    return [slot["qom-path"] for slot in slots if "qom-path" in slot]


def qemu_apic_ids(qmp):
    """The APIC IDs of the CPUs QEMU plugged in, from their QOM objects."""
    return sorted(qmp.execute("qom-get", path=path, property="apic-id") for path in _cpu_paths(qmp))


def qemu_offers_x2apic(qmp):
    """Whether QEMU's CPU model has the x2APIC feature (CPUID.1:ECX bit 21);
    every CPU of a machine is the same model."""
    offers = {qmp.execute("qom-get", path=path, property="x2apic") for path in _cpu_paths(qmp)}
    assert len(offers) == 1, offers
    return offers.pop()


def qemu_cpu_states(qmp):
    """[(RIP, halted, interrupts enabled)] of every CPU in QEMU's order (CPU 0
    is the boot CPU), and the monitor's text, from `info registers -a`."""
    text = qmp.execute("human-monitor-command", **{"command-line": "info registers -a"})
    # A CPU still in real or protected mode shows EIP=, in long mode RIP=.
    rips = [int(value, 16) for value in re.findall(r"\b[RE]IP=([0-9a-f]+)", text)]
    halted = [flag == "1" for flag in re.findall(r"\bHLT=([01])", text)]
    flags = [int(value, 16) for value in re.findall(r"\b[RE]FL=([0-9a-f]+)", text)]
    assert len(rips) == len(halted) == len(flags), text
    return [(rip, halt, bool(flag & INTERRUPT_FLAG)) for rip, halt, flag in zip(rips, halted, flags)], text


def sample_until_every_cpu_halts(qmp, settled=lambda states: True, timeout=10.0, interval=0.05):
    """CPU states (qemu_cpu_states) from the first sample in which every CPU
    is halted and settled(states) holds, or the last sample when timeout
    runs out. Idle CPUs wake for their local APIC timer's tick (1000 times a
    second), so one sample can catch one inside the tick's handler; a CPU
    that never halts shows in every sample."""
    deadline = time.monotonic() + timeout
    while True:
        states, text = qemu_cpu_states(qmp)
        if all(halted for _, halted, _ in states) and settled(states):
            return states, text
        if time.monotonic() > deadline:
            return states, text
        time.sleep(interval)


def assert_every_cpu_halted_in_the_kernel(states, text):
    for index, (rip, halted, _) in enumerate(states):
        assert rip >= KERNEL_BASE, f"CPU {index} at RIP {rip:#x}, not in the kernel\n{text}"
        assert halted, f"CPU {index} is not halted (RIP {rip:#x})\n{text}"


def assert_smp_line_matches_qemu(match, count, expected_ids):
    """The kernel's [SMP] line against -smp and the APIC IDs QEMU gave."""
    assert len(expected_ids) == count, expected_ids
    assert (int(match.group(1)), int(match.group(2))) == (count, count), match.group(0)
    assert sorted(int(apic_id) for apic_id in match.group(3).split()) == expected_ids, match.group(0)
