"""The local APIC and the I/O APIC (issue 13), checked against QEMU's own
view of them: the monitor's `info lapic` and `info pic` over QMP."""

import re

import pytest

from harness.qmp import QmpClient

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
