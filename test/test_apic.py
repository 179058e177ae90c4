"""The local APIC and the I/O APIC (issue 13), checked against QEMU's own
view of them: the monitor's `info lapic` and `info pic` over QMP."""

import re
import time

import pytest

from harness.qmp import QmpClient
from test_console import Console

APIC_LINE = re.compile(r"\[APIC\] (xAPIC|x2APIC) mode, local APIC ID (\d+)")


class Monitor:
    """QEMU's QMP socket of a running boot, for its monitor's answers."""

    def __init__(self, kernel):
        self.qmp = QmpClient(kernel.workdir / "qmp.sock")

    def human(self, command):
        return self.qmp.execute("human-monitor-command", **{"command-line": command})

    def cpu_offers_x2apic(self):
        """The x2apic CPUID bit of QEMU's CPU 0 as QEMU built it (TCG on
        QEMU 7.2 offers none, even with -cpu max)."""
        (cpu, *_) = self.qmp.execute("query-cpus-fast")
        return self.qmp.execute("qom-get", path=cpu["qom-path"], property="x2apic")

    def close(self):
        self.qmp.close()


@pytest.mark.parametrize("cpu", [None, "max"])
def test_the_local_apic_mode_is_the_one_the_cpu_offers(running_boot, cpu):
    kernel = running_boot(cmdline="", qmp=True, cpu=cpu)
    kernel.wait_for_line("[BOOT] RayOS ready")
    (line,) = [line for line in kernel.lines() if line.startswith("[APIC]")]
    match = APIC_LINE.match(line)
    assert match, line
    monitor = Monitor(kernel)
    try:
        expected = "x2APIC" if monitor.cpu_offers_x2apic() else "xAPIC"
        info = monitor.human("info lapic")
    finally:
        monitor.close()
    assert match.group(1) == expected, (line, info)
    # The software-enable bit (8) of the spurious vector register, and the
    # vector: 0xFF.
    svr = re.search(r"^SPIV\s+0x([0-9a-f]+)", info, re.MULTILINE)
    assert svr, info
    assert int(svr.group(1), 16) & 0x1FF == 0x1FF, info
    # The error LVT unmasked: bit 16 clear.
    lvt_error = re.search(r"^LVTERR\s+0x([0-9a-f]+)", info, re.MULTILINE)
    assert lvt_error and not int(lvt_error.group(1), 16) & 0x10000, info


@pytest.mark.parametrize("cmdline, cpu, reason", [
    ("exit noapic", None, "boot word noapic"),
    ("exit", "qemu64,-apic", "no local APIC (CPUID)"),
])
def test_without_an_apic_the_8259s_and_the_pit_serve_one_cpu(boot, cmdline, cpu, reason):
    result = boot(cmdline=cmdline, cpu=cpu)
    assert result.lines_with("[APIC]") == [f"[APIC] {reason}: 8259 PICs and PIT, one CPU"], result.reason
    # The PIT still ticks at the rate asked for (measured against the PM timer).
    assert result.lines_with("[TIMER] PIT channel 0 at 1000 Hz (asked for 1000), measured"), result.reason


IO_APIC_LINE = re.compile(r"\[APIC\] .*; ISA IRQ 0 -> GSI (\d+) .*, ISA IRQs at vectors (\d+)-(\d+); 8259 PICs masked")
PIN = re.compile(r"^\s+pin (\d+)\s+0x([0-9a-f]{16}) dest=(\d+) vec=(\d+)\s+(\S+) (\S+)\s+(masked)?", re.MULTILINE)


def test_the_io_apic_routes_the_isa_irqs_and_the_8259s_are_masked(running_boot):
    """QEMU's `info pic` dumps the I/O APIC's redirection table and both
    8259s: the keyboard (GSI 1), COM1 (GSI 4) and the mouse (GSI 12)
    unmasked at the kernel's vectors for IRQ 1, 4 and 12; every other pin
    masked, the PIT's (ISA IRQ 0,
    on GSI 2 by QEMU's override) too: the local APIC timer is the tick and
    the PIT is stopped; both IMRs 0xff."""
    kernel = running_boot(cmdline="", qmp=True, serial_input=True)
    kernel.wait_for_line("[BOOT] RayOS ready")
    (line,) = [line for line in kernel.lines() if line.startswith("[APIC]")]
    match = IO_APIC_LINE.match(line)
    assert match, line
    first_vector = int(match.group(2))
    monitor = Monitor(kernel)
    try:
        info = monitor.human("info pic")
    finally:
        monitor.close()
    pins = {int(pin): (int(vector), masked) for pin, _, _, vector, _, _, masked in PIN.findall(info)}
    assert len(pins) == 24, info
    expected = {1: first_vector + 1, 4: first_vector + 4, 12: first_vector + 12}
    assert int(match.group(1)) == 2, line  # QEMU's pc machine wires the PIT to GSI 2
    for pin, (vector, masked) in pins.items():
        if pin in expected:
            assert (vector, masked) == (expected[pin], ""), (pin, info)
        else:
            assert masked == "masked", (pin, info)
    imrs = re.findall(r"^pic\d: .*imr=([0-9a-f]{2})", info, re.MULTILINE)
    assert imrs == ["ff", "ff"], info
    # Typing still works through the I/O APIC: COM1's IRQ 4.
    kernel.type_serial(b"a")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
            line.startswith("[SERIAL] received 0x61") for line in kernel.lines()):
        time.sleep(0.05)
    assert any(line.startswith("[SERIAL] received 0x61") for line in kernel.lines())


# QEMU 7.2's local APIC timer (hw/intc/apic_common.c, apic_next_timer)
# counts QEMU_CLOCK_VIRTUAL nanoseconds shifted right by the divider's
# log2: its input clock is 1 GHz, and a periodic period is (initial count
# + 1) input cycles times the divider.
QEMU_APIC_TIMER_HZ = 1_000_000_000
LVT_TIMER = re.compile(r"^LVTT\s+0x([0-9a-f]{8})", re.MULTILINE)
TIMER_STATE = re.compile(r"^Timer\s+DCR=0x([0-9a-f]+) \(divide by (\d+)\) initial_count = (\d+)", re.MULTILINE)
APIC_TIMER_VECTOR = 0xE0


def armed_timer(info):
    """(period in seconds, divider) of a periodic, unmasked LVT timer at the
    kernel's vector, from `info lapic`; fails naming what is wrong."""
    lvt = LVT_TIMER.search(info)
    timer = TIMER_STATE.search(info)
    assert lvt and timer, info
    lvt = int(lvt.group(1), 16)
    assert lvt & 0xFF == APIC_TIMER_VECTOR, info
    assert not lvt & 0x10000, f"timer masked\n{info}"
    assert (lvt >> 17) & 0b11 == 0b01, f"timer not periodic\n{info}"
    divide, initial = int(timer.group(2)), int(timer.group(3))
    return (initial + 1) * divide / QEMU_APIC_TIMER_HZ, divide


@pytest.mark.parametrize("hz", [100, 1000])
def test_the_local_apic_timer_is_programmed_for_the_rate_asked_for(running_boot, hz):
    """The boot CPU's timer, as QEMU holds it: periodic at the kernel's
    vector, and initial count times divider over QEMU's 1 GHz input clock is
    one tick period, within the 2% the calibration is held to. The kernel's
    figures are not consulted."""
    kernel = running_boot(cmdline=f"timer_hz={hz}", qmp=True)
    kernel.wait_for_line("[BOOT] RayOS ready")
    monitor = Monitor(kernel)
    try:
        info = monitor.human("info lapic")
    finally:
        monitor.close()
    period, _ = armed_timer(info)
    assert abs(period - 1 / hz) <= 0.02 / hz, (period, info)
    lines = kernel.lines()
    assert any(line.startswith("[TIMER] local APIC timer input clock ") for line in lines), lines
    # The PIT is no longer the tick, and no line says it is.
    assert not [line for line in lines if line.startswith("[TIMER] PIT channel 0")], lines


def test_every_cpu_runs_its_local_apic_timer_and_ticks(running_boot):
    """-smp 4: QEMU shows each CPU's timer armed at the boot CPU's rate, and
    the console's per-CPU tick counts advance on every CPU."""
    kernel = running_boot(cmdline="console", smp=4, qmp=True, serial_input=True)
    console = Console(kernel)
    monitor = Monitor(kernel)
    try:
        apic_ids = [monitor.qmp.execute("qom-get", path=cpu["qom-path"], property="apic-id")
                    for cpu in monitor.qmp.execute("query-cpus-fast")]
        periods = [armed_timer(monitor.human(f"info lapic {apic_id}"))[0] for apic_id in apic_ids]
    finally:
        monitor.close()
    assert len(periods) == 4
    for period in periods:
        assert abs(period - 1 / 1000) <= 0.02 / 1000, periods
    samples = []
    for pause in (0, 1):
        time.sleep(pause)
        _, output = console.run(b"cpu", "local APIC timer ticks per CPU:")
        counts = dict(pair.split(":") for pair in output[-1].split(": ", 1)[1].split())
        samples.append({int(cpu): int(ticks) for cpu, ticks in counts.items()})
    assert sorted(samples[0]) == [0, 1, 2, 3], samples
    for cpu in range(4):
        assert samples[1][cpu] > samples[0][cpu] > 0, samples
