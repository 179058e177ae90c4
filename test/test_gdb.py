"""The debugging flow of ci/debug.sh, driven in batch mode: QEMU paused with
its GDB stub, gdb with ci/gdb/rayos.gdb, a stop at the C++ entry point."""

import re
import socket
import subprocess
import time

from pathlib import Path

import pytest

from harness.qemu import BootConfig, start_qemu, stop_qemu

GDB_SCRIPT = Path(__file__).resolve().parent.parent / "ci/gdb/rayos.gdb"
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


@pytest.fixture
def paused_qemu(iso, tmp_path):
    port = free_tcp_port()
    config = BootConfig(cmdline="exit", gdb_port=port, paused=True)
    process, _ = start_qemu(config, iso, tmp_path)
    try:
        wait_for_port(port)
        yield port
    finally:
        stop_qemu(process)


def test_gdb_stops_at_kernel_main_with_backtrace_and_variables(paused_qemu, kernel_elf):
    completed = subprocess.run(
        ["gdb", "-batch", "-nx", "-x", str(GDB_SCRIPT),
         "-ex", f"rayos-connect {paused_qemu}",
         "-ex", "backtrace",
         "-ex", "print rayos_version",
         "-ex", "print/x multiboot_magic",
         "-ex", "info registers rip",
         str(kernel_elf)],
        capture_output=True, text=True, timeout=GDB_TIMEOUT_SECONDS)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    # Stopped in kernel_main, with its source file and line.
    assert re.search(r"^#0\s+kernel_main \(multiboot_magic=\S+, multiboot_info_physical=\S+\)\s+"
                     r"at \S*src/kernel/main\.cpp:\d+", output, re.MULTILINE), output
    # A kernel global read from the running machine, and kernel_main's argument.
    assert '= "RayOS 0.1.0"' in output, output
    assert "= 0x36d76289" in output, output
    assert re.search(r"rip\s+0xffffffff8", output), output
