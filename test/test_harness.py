"""The harness's verdicts, from synthetic boots: only a real pass passes."""

import os
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from harness.boot_config_disk import grub_single_quoted
from harness import firmware, software_tpm
from harness import qemu as harness_qemu
from harness.elf import once_per_build
from harness.huge_pages import huge_page_facts
from harness.outcome import EXIT_FAILURE, EXIT_SUCCESS, Outcome, classify, serial_lines
from harness.qemu import BootConfig, BootResult, complete_serial_lines, remember_uefi_variables, stop_qemu

READY = ["[BOOT] RayOS booting", "[BOOT] RayOS ready"]


@pytest.mark.parametrize("exit_status, lines, qemu_log, flags, expected", [
    (EXIT_SUCCESS, READY, "", {}, Outcome.PASSED),
    (EXIT_SUCCESS, ["[BOOT] RayOS booting"], "", {}, Outcome.WRONG_EXIT),
    (EXIT_SUCCESS, READY + ["[PANIC] late (src/x.cpp:1)"], "", {}, Outcome.WRONG_EXIT),
    (EXIT_SUCCESS, ["[BOOT] FATAL: no long mode"] + READY, "", {}, Outcome.WRONG_EXIT),
    (EXIT_FAILURE, ["[PANIC] heap corrupted (src/mm/heap.cpp:1)"], "", {}, Outcome.PANIC),
    (EXIT_FAILURE, READY + ["[PANIC] late"], "", {}, Outcome.PANIC),
    (EXIT_FAILURE, ["[BOOT] FATAL: CPU has no long mode (x86_64 required)"], "", {}, Outcome.FATAL),
    (EXIT_FAILURE, READY, "", {}, Outcome.FAILURE_EXIT),
    (0, READY, "check_exception old: 0x8 new 0xe\nTriple fault\n", {}, Outcome.TRIPLE_FAULT),
    (0, READY, "CPU Reset (CPU 0)\n", {}, Outcome.RESET),
    (None, READY, "", {"timed_out": True}, Outcome.TIMEOUT),
    (None, READY, "", {"stopped": True}, Outcome.STOPPED),
    (1, READY, "", {}, Outcome.WRONG_EXIT),
    (-9, READY, "", {}, Outcome.WRONG_EXIT),
])
def test_classify(exit_status, lines, qemu_log, flags, expected):
    outcome, reason = classify(exit_status, lines, qemu_log, **flags)
    assert outcome is expected, reason
    assert reason


def test_serial_lines_drop_carriage_returns_and_terminal_escapes():
    raw = b"\x1b[H\x1b[J\x1b[1;1H\x1b[=3h  Booting `RayOS'\r\n\r\r[BOOT] one\r\n[MEM] two\r\n"
    assert serial_lines(raw) == ["  Booting `RayOS'", "[BOOT] one", "[MEM] two", ""]


def test_serial_lines_survive_invalid_utf8():
    assert serial_lines(b"[BOOT] \xff\xfe\n") == ["[BOOT] \ufffd\ufffd", ""]


@pytest.mark.parametrize("raw, complete", [
    (b"", []),
    (b"[BOOT] one\r\n", ["[BOOT] one"]),
    (b"[BOOT] one\r\nrayos> ", ["[BOOT] one"]),
    (b"[BOOT] one\r\n[BOOT] tw", ["[BOOT] one"]),
    (b"[BOOT] one\r\n[BOOT] two\r\n", ["[BOOT] one", "[BOOT] two"]),
])
def test_the_complete_lines_of_a_running_boot_are_the_lines_ended_so_far(tmp_path, raw, complete):
    """A log that ends at a line's end has no line after it yet: counting
    one there put a console test's start past the echo of what it typed."""
    (tmp_path / "serial.log").write_bytes(raw)
    assert complete_serial_lines(tmp_path / "serial.log") == complete


@pytest.mark.parametrize("text, quoted", [
    ("exit", "'exit'"),
    ("", "''"),
    ("it's", "'it'\\''s'"),
    ('a="b c"', "'a=\"b c\"'"),
])
def test_grub_single_quoting(text, quoted):
    assert grub_single_quoted(text) == quoted


def test_an_oracle_read_once_per_build_is_read_again_when_the_elf_is_rebuilt(tmp_path):
    """once_per_build shares a result between tests only while the ELF is
    the same build: a rewritten file (another modification time) is read
    again, and another path never gets this one's result."""
    reads = []

    @once_per_build
    def first_byte(path):
        reads.append(path)
        return Path(path).read_bytes()[0]

    elf = tmp_path / "rayos.elf"
    elf.write_bytes(b"\x01")
    assert [first_byte(elf), first_byte(elf)] == [1, 1]
    assert len(reads) == 1
    # Rewritten in place with its old modification time (cp -p, a cache
    # restore): the change time still tells.
    modified = elf.stat().st_mtime_ns
    elf.write_bytes(b"\x02")
    os.utime(elf, ns=(modified, modified))
    assert first_byte(elf) == 2
    other = tmp_path / "rayos-release.elf"
    other.write_bytes(b"\x03")
    assert first_byte(other) == 3
    assert len(reads) == 3


@pytest.fixture
def no_kept_stores(tmp_path, monkeypatch):
    """harness/firmware.py as at the start of a process, keeping its stores
    in tmp_path (not beside the ones this process's real boots use)."""
    monkeypatch.setattr(firmware, "_warm_variables", {})
    monkeypatch.setattr(firmware, "_reuse", True)
    kept = tmp_path / "kept"
    kept.mkdir()
    monkeypatch.setattr(firmware, "_kept_stores_folder", lambda: kept)


def test_uefi_boots_start_from_the_store_an_earlier_boot_left_for_their_machine_type(
        tmp_path, monkeypatch, no_kept_stores):
    """harness/firmware.py: the first UEFI boot of a machine type starts from
    the distribution's template; once a boot reached the kernel, the later
    ones of that type start from a copy of the store it left (not the file
    itself, which its boot's folder owns), unless they ask for a fresh one,
    and another machine type does not."""
    pristine = firmware.find_ovmf()[1]
    assert firmware.starting_variables("pc") == pristine
    left = tmp_path / "OVMF_VARS.fd"
    left.write_bytes(b"booted once")
    firmware.remember_variables("pc", left)
    left.write_bytes(b"changed since")
    warm = firmware.starting_variables("pc")
    assert warm != pristine and warm.read_bytes() == b"booted once"
    assert firmware.starting_variables("pc", fresh=True) == pristine
    assert firmware.starting_variables("q35") == pristine
    # Without reuse (ci/boot.sh, the benchmark), every boot starts afresh.
    monkeypatch.setattr(firmware, "_reuse", False)
    assert firmware.starting_variables("pc") == pristine


@pytest.mark.parametrize("firmware_name, lines, kept", [
    ("uefi", ["[BOOT] RayOS booting", "[BOOT] RayOS ready"], True),
    ("uefi", ["BdsDxe: starting Boot0001", "[BOOT] RayOS booting"], False),  # OVMF may not be done
    ("bios", ["[BOOT] RayOS ready"], False),
])
def test_only_a_uefi_boot_that_reached_the_kernels_ready_line_leaves_its_store(
        tmp_path, no_kept_stores, firmware_name, lines, kept):
    (tmp_path / "OVMF_VARS.fd").write_bytes(b"left by the boot")
    result = BootResult(BootConfig(firmware=firmware_name), [], Outcome.STOPPED, "stopped", None, lines, "", 1.0)
    remember_uefi_variables(result, tmp_path)
    assert (firmware.starting_variables("pc") != firmware.find_ovmf()[1]) == kept


def test_a_uefi_boot_without_swtpm_installed_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(software_tpm.shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="install the 'swtpm' package"):
        software_tpm.with_tpm(["qemu-system-x86_64"], tmp_path)


def _launch_with_stand_in_swtpm(tmp_path, monkeypatch, script, **options):
    """Runs the launcher with a stand-in swtpm (a shell script) first on
    PATH and a stand-in QEMU that leaves a file; (the finished process, the
    file the stand-in QEMU would leave)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "swtpm").write_text(f"#!/bin/sh\n{script}\n")
    (fake / "swtpm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    started = tmp_path / "qemu-started"
    command = software_tpm.with_tpm(["sh", "-c", f"touch {started}"], tmp_path, **options)
    return subprocess.run(command, capture_output=True, text=True, timeout=10), started


def test_a_swtpm_that_dies_before_listening_ends_the_boot_with_a_reason(tmp_path, monkeypatch):
    """The launcher waits for swtpm's socket, but not for a swtpm that is
    gone: it fails, saying so, and never starts QEMU."""
    finished, started = _launch_with_stand_in_swtpm(tmp_path, monkeypatch, "echo no TPM state here >&2\nexit 3")
    assert finished.returncode == 1
    assert "swtpm exited before making its socket; its log:\nno TPM state here" in finished.stderr
    assert not started.exists()


def _process_stat(pid):
    """(name, state, session) of a process from /proc, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return text[text.index("(") + 1:text.rindex(")")], fields[0], int(fields[3])


def _running(pid):
    """Whether pid is a running process (not a zombie waiting to be reaped)."""
    stat = _process_stat(pid)
    return stat is not None and stat[1] not in "ZX"


def _live_processes_of_session(session):
    """(PID, name) of each process still running in session."""
    found = []
    for folder in Path("/proc").glob("[0-9]*"):
        stat = _process_stat(folder.name)
        if stat is not None and stat[2] == session and _running(folder.name):
            found.append((int(folder.name), stat[0]))
    return found


def _live_processes_naming(text):
    """PIDs of running processes whose command line contains text."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            named = text.encode() in cmdline.read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if named and _running(int(cmdline.parent.name)):
            found.append(int(cmdline.parent.name))
    return found


# The tests below start a real swtpm: marked uefi, as the boots that need it are.
@pytest.mark.uefi
def test_a_qemu_that_ends_before_connecting_leaves_no_swtpm_behind(tmp_path):
    """swtpm waits for QEMU's connection before it can end by itself; a QEMU
    that exits first (here false, as for a bad option) must neither leave
    the harness waiting on the output pipe nor leave swtpm running."""
    process = subprocess.Popen(software_tpm.with_tpm(["false"], tmp_path), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    # Not `with`: its exit would wait on a read that never ends, the failure
    # this test is for; the finally ends the readers' writers first.
    pool = ThreadPoolExecutor(1)
    try:
        pool.submit(process.stdout.read).result(timeout=10)    # the end of file: nothing else holds the pipe
        stop_qemu(process, tmp_path)
        deadline = time.monotonic() + 5
        while (left := _live_processes_of_session(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert left == []
        assert not software_tpm.control_socket(tmp_path).exists()
    finally:
        for pid, _ in _live_processes_of_session(process.pid):
            os.kill(pid, signal.SIGKILL)
        software_tpm.stop(tmp_path)
        pool.shutdown()


@pytest.mark.uefi
def test_stop_ends_only_its_own_boots_swtpm(tmp_path):
    """After a boot's swtpm ends, its PID may go to another boot's swtpm:
    stop() must leave that one alone (here the other boot's PID is written
    where this boot's would be)."""
    mine, other = tmp_path / "mine", tmp_path / "other"
    stand_in_qemu = ["sh", "-c", "sleep 30"]    # QEMU's arguments become the shell's $0, $1...
    process = subprocess.Popen(software_tpm.with_tpm(stand_in_qemu, other), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not software_tpm.control_socket(other).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        other_pid = int((other / "tpm" / "swtpm.pid").read_text())
        (mine / "tpm").mkdir(parents=True)
        (mine / "tpm" / "swtpm.pid").write_text(f"{other_pid}\n")
        software_tpm.stop(mine)
        time.sleep(0.1)
        assert _running(other_pid)
        software_tpm.stop(other)
        deadline = time.monotonic() + 5
        while _running(other_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(other_pid)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        software_tpm.stop(other)


def test_a_swtpm_that_never_makes_its_socket_ends_the_boot_in_time(tmp_path, monkeypatch):
    """The launcher's wait for the socket has an end: a swtpm that never
    makes it (here a stand-in that only sleeps) ends the boot with a reason
    once the wait is over, and is itself ended, and QEMU never starts."""
    finished, started = _launch_with_stand_in_swtpm(tmp_path, monkeypatch, "echo listening soon >&2\nexec sleep 60",
                                                    socket_wait_seconds=1)
    assert finished.returncode == 1
    assert "swtpm made no socket in 1 s; its log:\nlistening soon" in finished.stderr
    assert not started.exists()
    stand_in = int((tmp_path / "tpm" / "swtpm.pid").read_text())
    deadline = time.monotonic() + 5
    while _running(stand_in) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(stand_in)


@pytest.mark.uefi
def test_swtpm_control_socket_fits_a_unix_socket_path_whatever_the_folder(tmp_path):
    workdir = tmp_path / ("a-long-test-name-" * 8)
    command = software_tpm.with_tpm(["qemu-system-x86_64"], workdir)
    [socket] = [argument.split("path=", 1)[1] for argument in command if argument.startswith("socket,id=tpm-control")]
    assert len(socket.encode()) < 108    # sun_path's size, with its terminating zero


@pytest.mark.uefi
def test_a_failure_report_shows_the_qemu_command_not_the_tpm_launcher(tmp_path):
    command = software_tpm.with_tpm(["qemu-system-x86_64", "-m", "128M"], tmp_path)
    report = BootResult(BootConfig(firmware="uefi"), command, Outcome.STOPPED, "stopped", None, [], "", 1.0).report()
    assert "command: (with a software TPM, harness/software_tpm.py) qemu-system-x86_64 -m 128M -chardev" in report
    assert "kill -0" not in report


def test_a_running_boot_whose_capture_fails_otherwise_leaves_no_qemu(tmp_path, monkeypatch, iso):
    """RunningBoot's constructor handles a failed capture (RuntimeError) by
    reporting the boot; anything else it raises (gdb's timeout, an
    interrupt) must still end QEMU: no fixture holds the object to end it."""
    def capture_times_out(*arguments):
        raise subprocess.TimeoutExpired("gdb", 1)
    monkeypatch.setattr(harness_qemu, "_capture_if_asked", capture_times_out)
    workdir = tmp_path / "boot"
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            harness_qemu.RunningBoot(BootConfig(cmdline=""), iso, workdir)
        deadline = time.monotonic() + 5
        while (left := _live_processes_naming(str(workdir / "serial.log"))) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert left == []
    finally:
        for pid in _live_processes_naming(str(workdir / "serial.log")):
            os.kill(pid, signal.SIGKILL)


class _TypingTarget:
    """A stand-in for QEMU's COM1 socket: accepts one client and reads what
    it sends (reads=True) or never reads it."""

    def __init__(self, workdir, reads):
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(workdir / "serial.sock"))
        self.server.listen(1)
        self.received = b""
        self.reads = reads
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        connection, _ = self.server.accept()
        with connection:
            while self.reads and (chunk := connection.recv(4096)):
                self.received += chunk
            if not self.reads:
                time.sleep(2)

    def close(self):
        self.server.close()


@pytest.mark.parametrize("reads", [True, False])
def test_typing_waits_until_the_other_end_has_read_every_byte(tmp_path, monkeypatch, reads):
    """type_serial hangs up only once QEMU has read all it typed (a client
    that hangs up first loses the rest), and says so when that never
    happens rather than returning as if it had."""
    if not reads:  # the wait that must run out; a reader gets the whole 10 s on a loaded host
        monkeypatch.setattr(harness_qemu, "TYPED_TIMEOUT_SECONDS", 0.3)
    target = _TypingTarget(tmp_path, reads)
    running = harness_qemu.RunningBoot.__new__(harness_qemu.RunningBoot)
    running.workdir = tmp_path
    data = b"x" * 131 + b"\r"
    try:
        if reads:
            running.type_serial(data)
            target.thread.join(5)
            assert target.received == data
        else:
            started = time.monotonic()
            with pytest.raises(AssertionError, match="QEMU read only part of the 132 bytes typed"):
                running.type_serial(data)
            assert time.monotonic() - started >= 0.3
    finally:
        target.close()


@pytest.mark.parametrize("firmware", ["bios", pytest.param("uefi", marks=[pytest.mark.uefi, pytest.mark.slow])])
def test_qemu_runs_without_transparent_huge_pages(running_boot, firmware):
    """Every QEMU the harness starts (harness/huge_pages.py says why): at the
    ready line the host counts no huge page in it, and its status says they
    are off. Under UEFI QEMU is the launcher's shell after its exec, so the
    same process."""
    kernel = running_boot(cmdline="", firmware=firmware)
    kernel.wait_for_line("[BOOT] RayOS ready", timeout=60)
    assert huge_page_facts(kernel.process.pid) == (0, 0)
