"""The debugging flow of ci/debug.sh, driven in batch mode: QEMU paused with
its GDB stub, gdb with ci/gdb/rayos.gdb, a stop at the C++ entry point."""

import re
import socket
import subprocess
import time

from pathlib import Path

import pytest

from harness.outcome import EXIT_FAILURE, serial_lines
from harness.qemu import BootConfig, start_qemu, stop_qemu

GDB_SCRIPT = Path(__file__).resolve().parent.parent / "ci/gdb/rayos.gdb"
GDB_COMMANDS = Path(__file__).resolve().parent.parent / "ci/gdb/rayos.py"
GDB_TIMEOUT_SECONDS = 60


def free_tcp_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"QEMU's GDB stub did not listen on port {port}")


class PausedQemu:
    def __init__(self, port, process, workdir):
        self.port, self.process, self.workdir = port, process, workdir

    def serial_lines(self):
        return serial_lines((self.workdir / "serial.log").read_bytes())


@pytest.fixture
def paused_qemu(iso, tmp_path):
    port = free_tcp_port()
    config = BootConfig(cmdline="exit", gdb_port=port, paused=True)
    process, _ = start_qemu(config, iso, tmp_path)
    try:
        wait_for_port(port)
        yield PausedQemu(port, process, tmp_path)
    finally:
        stop_qemu(process)


def run_gdb(kernel_elf, *commands):
    arguments = ["gdb", "-batch", "-nx", "-x", str(GDB_SCRIPT), "-x", str(GDB_COMMANDS)]
    for command in commands:
        arguments += ["-ex", command]
    completed = subprocess.run(arguments + [str(kernel_elf)], capture_output=True, text=True,
                               timeout=GDB_TIMEOUT_SECONDS)
    return completed, completed.stdout + completed.stderr


def test_gdb_stops_at_kernel_main_with_backtrace_and_variables(paused_qemu, kernel_elf):
    completed, output = run_gdb(kernel_elf, f"rayos-connect {paused_qemu.port}", "backtrace",
                                "print rayos_version", "print/x multiboot_magic", "info registers rip")
    assert completed.returncode == 0, output
    # Stopped in kernel_main, with its source file and line.
    assert re.search(r"^#0\s+kernel_main \(multiboot_magic=\S+, multiboot_info_physical=\S+\)\s+"
                     r"at \S*src/kernel/main\.cpp:\d+", output, re.MULTILINE), output
    # A kernel global read from the running machine, and kernel_main's argument.
    assert '= "RayOS 0.1.0"' in output, output
    assert "= 0x36d76289" in output, output
    assert re.search(r"rip\s+0xffffffff8", output), output


def test_fault_before_the_kernel_idt_is_reported_not_a_triple_fault(paused_qemu, kernel_elf):
    # Stop on the first higher-half instruction, before kernel_main loads the
    # kernel's IDT, and jump to an unmapped address: only the trampoline's
    # early IDT stands between that and a triple fault.
    run_gdb(kernel_elf, f"target remote localhost:{paused_qemu.port}", "hbreak higher_half_entry", "continue",
            "set $pc = 0x100000000000", "continue")
    assert paused_qemu.process.wait(timeout=10) == EXIT_FAILURE
    assert ("[PANIC] CPU exception before the kernel's IDT was loaded: vector 0x000000000000000e, "
            "RIP 0x0000100000000000, error code 0x0000000000000010") in paused_qemu.serial_lines()
    assert "Triple fault" not in (paused_qemu.workdir / "qemu.log").read_text()


def test_gdb_commands_read_kernel_state_from_a_stopped_kernel(paused_qemu, kernel_elf):
    # Stop where boot is complete (the exit at the end), then read the heap,
    # the frames, two page-table walks, an IDT gate and the log.
    completed, output = run_gdb(
        kernel_elf, f"target remote localhost:{paused_qemu.port}", "hbreak drivers::qemu_exit", "continue",
        "rayos-heap", "rayos-frames", "rayos-walk 0xffffc10000000000", "rayos-walk kernel_main",
        "rayos-walk 0", "rayos-idt 14", "rayos-log 2000")
    assert completed.returncode == 0, output
    log_lines = [line for line in output.splitlines() if line.startswith("[MEM] Stats: ")]
    # The heap as the boot left it: the seed's figures and gdb's agree.
    used, total, pages = map(int, re.match(r"\[MEM\] Stats: (\d+)/(\d+) bytes used, (\d+) pages", log_lines[0]).groups())
    assert re.search(rf"^  pages_held\s+{pages}$", output, re.MULTILINE), output
    assert re.search(rf"^  bytes_held\s+{total}$", output, re.MULTILINE), output
    assert re.search(r"^  bytes_in_use\s+0$", output, re.MULTILINE), output  # the test block was freed
    assert re.search(r"^  arena\s+0xffffc10000000000$", output, re.MULTILINE), output
    assert re.search(r"^  locked\s+no$", output, re.MULTILINE), output
    usable, free, used_frames = (int(re.search(rf"^  {name}\s+(\d+)$", output, re.MULTILINE).group(1))
                                 for name in ("usable", "free", "used"))
    assert free + used_frames == usable > 0
    # The heap page: 4 KiB, RW, no execute. kernel_main: RX. Page 0: unmapped.
    assert "walk of 0xffffc10000000000 from CR3" in output
    assert re.search(r"mapped: physical 0x[0-9a-f]+, 4 KiB page, RW$", output, re.MULTILINE), output
    text = re.search(r"walk of (0xffffffff8[0-9a-f]+) from CR3.*?mapped: physical (0x[0-9a-f]+), 4 KiB page, RX$",
                     output, re.MULTILINE | re.DOTALL)
    assert text and int(text.group(2), 16) == int(text.group(1), 16) - 0xFFFFFFFF80000000, output
    assert "not mapped (no PDPT entry)" in output or "not mapped (no PML4 entry)" in output, output
    # #PF's gate: its NASM stub, an interrupt gate in the kernel code segment.
    assert re.search(r"^vector 14: handler 0xffffffff8[0-9a-f]+ \(interrupt_stub_14", output, re.MULTILINE), output
    assert "selector 0x0008, interrupt gate, DPL 0, present, IST none" in output, output
    # The log in memory ends where boot ended.
    assert "[BOOT] RayOS ready" in output
