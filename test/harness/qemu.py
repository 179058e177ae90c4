"""Boots the RayOS ISO in QEMU, headless, and collects what happened."""

import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import termios
import time
from pathlib import Path

from . import boot_information_capture, coverage, hang_forensics, reset_forensics
from .boot_config_disk import make_config_disk
from .firmware import find_ovmf, remember_variables, starting_variables
from .huge_pages import popen_without_huge_pages
from .outcome import READY_PREFIX, Outcome, classify, serial_lines
from .socket_paths import short_socket_path
from . import software_tpm
from .symbolize import decorate_lines

QEMU_LOG_TAIL_LINES = 40
SERIAL_POLL_SECONDS = 0.05
# How often type_serial looks whether QEMU has read what it typed, and how
# long it waits for that.
TYPED_POLL_SECONDS = 0.005
TYPED_TIMEOUT_SECONDS = 10.0


@dataclasses.dataclass
class BootConfig:
    cmdline: str = "exit"
    loader: str = "multiboot2"      # GRUB's command; "multiboot" (v1) only to test refusal
    firmware: str = "bios"          # "bios" (SeaBIOS) or "uefi" (OVMF)
    memory: str = "256M"
    cpu: str | None = None          # QEMU's default CPU when None
    machine: str | None = None      # QEMU's default (i440fx) when None
    smp: int = 1
    timeout: float = 30.0
    # QEMU's -d int logs every interrupt: only for fault tests, since the
    # timer alone floods it at 1000 interrupts a second.
    trace_interrupts: bool = False
    gdb_port: int | None = None     # GDB stub on this TCP port
    paused: bool = False            # start with the CPU stopped (-S), for GDB
    stop_on: str | None = None      # end the boot once a serial line starts with this...
    linger: float = 0.0             # ...and QEMU has run this long after it (a halt, not a reset)
    examine_on_stop: bool = False   # ...then read each CPU as at a timeout (a hang the boot announced)
    exit_device: bool = True        # isa-debug-exit; without it fatal paths must halt
    qmp: bool = False               # a QMP socket (qmp.sock in the boot's folder), to type keys
    display: str = "none"           # QEMU's -display: "gtk" opens a window (ci/boot.sh --display)
    serial_input: bool = False      # COM1 also on serial.sock, to type at the kernel
    # Direct boot instead of the ISO: QEMU's own Multiboot (version 1) loader
    # runs this flat binary (-kernel) with these modules (-initrd) and
    # command line (-append). BIOS only. The hand-off loader and the
    # impostor kernels of test/direct_boot/ boot this way.
    direct_kernel: str | None = None
    modules: tuple = ()
    append: str = ""
    extra_args: tuple = ()
    # Read the Multiboot2 information the loader hands over at the kernel's
    # entry, through QEMU's GDB stub (harness/boot_information_capture.py):
    # the oracle for the memory figures. The boot otherwise runs as usual.
    capture_boot_information: bool = False
    # QEMU's -icount: virtual time advances with the guest's instructions, so
    # a host that starves the virtual CPU cannot make the emulated PIC merge
    # timer ticks. For short boots whose checks measure the kernel's timing
    # (it slows TCG several times over: the kernel tests would time out).
    deterministic_clock: bool = False
    # QEMU's record/replay: "record" writes everything the boot takes from
    # outside (the clock, the disks, the serial port) to the folder
    # `recording`; "replay" runs a recorded boot again, instruction for
    # instruction, from such a folder. One CPU and SeaBIOS only (QEMU 7.2
    # has no record/replay for -smp, and OVMF's flash is a device it cannot
    # replay).
    record_replay: str | None = None
    recording: str | None = None
    # OVMF's variable store from the distribution's template even where the
    # boot tests let UEFI boots start from one an earlier boot left
    # (harness/firmware.py): a machine's first boot ever.
    fresh_uefi_variables: bool = False

    @property
    def direct(self):
        return self.direct_kernel is not None


@dataclasses.dataclass
class BootResult:
    config: BootConfig
    command: list
    outcome: Outcome
    reason: str
    exit_status: int | None
    lines: list
    qemu_log: str
    seconds: float
    handed_over: object = None      # boot_information_capture.HandedOver, when captured
    # The ELF of the kernel booted (beside its ISO), for file:line in the
    # report; None for a direct boot of another binary.
    kernel_elf: Path | None = None
    # A boot that timed out: where each CPU was (harness/hang_forensics.py).
    hang_report: list = dataclasses.field(default_factory=list)
    # A boot that reset: the exception chain (harness/reset_forensics.py).
    reset_report: list = dataclasses.field(default_factory=list)

    @property
    def kernel_lines(self):
        """Lines the kernel printed: those that start with a [TAG]."""
        return [line for line in self.lines if line.startswith("[")]

    def lines_with(self, prefix):
        return [line for line in self.lines if line.startswith(prefix)]

    def qemu_log_tail(self, count=QEMU_LOG_TAIL_LINES):
        return "\n".join(self.qemu_log.splitlines()[-count:])

    def report(self):
        """Everything needed to see why a boot failed, without rerunning it."""
        return "\n".join([
            f"outcome: {self.outcome.value} ({self.reason})",
            f"QEMU exit status: {self.exit_status}",
            *([f"recorded: replay it exactly with bash ci/boot.sh --replay {self.config.recording}"]
              if self.config.record_replay == "record" else []),
            f"time: {self.seconds:.2f} s",
            "command: " + software_tpm.shown(self.command),
            "--- serial log" + (" (code addresses followed by their file:line)" if self.kernel_elf else "")
            + " ---",
            *(decorate_lines(self.kernel_elf, self.lines) if self.kernel_elf else self.lines),
            *(["--- at the timeout, QEMU stopped: each CPU and the kernel's in-memory log ---",
                *self.hang_report] if self.hang_report else []),
            *(["--- why it reset, from QEMU's log under -d int,cpu_reset ---",
                *self.reset_report] if self.reset_report else []),
            f"--- QEMU log (last {QEMU_LOG_TAIL_LINES} lines) ---",
            self.qemu_log_tail() or "(empty)",
        ])


def forensics_socket(workdir):
    """The QMP socket every boot has, for the harness to read a hung boot
    (short_socket_path says where)."""
    return short_socket_path(workdir, "qmp")


def release_outside_files(workdir):
    """Once workdir's QEMU has ended: what its boot keeps outside workdir
    goes, the software TPM and the sockets in the temporary folder (every
    way of booting calls this, or each boot leaves them behind)."""
    software_tpm.stop(workdir)
    forensics_socket(workdir).unlink(missing_ok=True)


RECORD_REPLAY_MODES = ("record", "replay")
RECORDING_EVENTS = "boot.rr"
RECORDING_DISK = "rayos-boot.img"
RECORDING_FACTS = "recording.json"
# How disk_arguments lays out the disks, kept with a recording: a replay
# with the disks elsewhere (a recording made before the CD moved off the
# IDE channel) would go astray at the firmware's first read.
DISK_LAYOUT = "the CD on an AHCI port, the command-line disk on ide.0"


def replay_arguments(config):
    """QEMU's arguments for record/replay; a clear error where it cannot be."""
    if config.record_replay not in RECORD_REPLAY_MODES:
        raise ValueError(f"record_replay is 'record' or 'replay', not {config.record_replay!r}")
    if config.direct:
        raise ValueError("record/replay boots the ISO, not a direct kernel")
    if config.recording is None:
        raise ValueError("record/replay needs the recording folder (recording=...)")
    if config.smp != 1:
        raise ValueError(f"record/replay needs one CPU: QEMU 7.2 cannot record -smp {config.smp}")
    if config.firmware != "bios":
        raise ValueError("record/replay boots SeaBIOS only: OVMF's flash cannot be replayed")
    if config.deterministic_clock or any(str(argument) == "-icount" for argument in config.extra_args):
        raise ValueError("record/replay sets -icount itself")
    events = Path(config.recording) / RECORDING_EVENTS
    return ["-icount", f"shift=auto,rr={config.record_replay},rrfile={events}", "-nic", "none"]


def on_q35(config):
    return config.machine is not None and "q35" in config.machine


def machine_type(config):
    """The machine QEMU emulates: "q35", or "pc" (the i440fx, its default)."""
    return "q35" if on_q35(config) else "pc"


def disk_arguments(config, iso, config_disk):
    """The ISO as a CD and the command-line disk as the first hard disk.
    The CD sits on an AHCI port: the firmware (SeaBIOS, OVMF) and so GRUB
    read it by DMA, where the i440fx's IDE CD moves every 2 KiB sector by
    port I/O, which TCG emulates an access at a time: GRUB took 160-250 ms
    to read the test kernel that way, 90 ms through AHCI. q35's own
    controller is AHCI (its port 2); the i440fx gets an AHCI controller
    added. Both disks have a boot index: OVMF connects only the devices
    in QEMU's boot order when there is one, and GRUB must see the
    command-line disk. Under record/replay both disks go through blkreplay, which puts
    their completions in the recording."""
    cd_bus = "ide.2" if on_q35(config) else "cd-ahci.0"
    controller = [] if on_q35(config) else ["-device", "ahci,id=cd-ahci"]
    cd, config_drive = "cd", "config"
    drives = ["-drive", f"file={iso},if=none,id=cd-image,media=cdrom,readonly=on,format=raw",
              "-drive", f"file={config_disk},if=none,id=config-image,format=raw"]
    if config.record_replay:
        drives += ["-drive", "driver=blkreplay,if=none,image=cd-image,id=cd",
                   "-drive", "driver=blkreplay,if=none,image=config-image,id=config"]
    else:
        cd, config_drive = "cd-image", "config-image"
    return [*controller, *drives,
            "-device", f"ide-cd,drive={cd},bus={cd_bus},unit=0,bootindex=0",
            "-device", f"ide-hd,drive={config_drive},bus=ide.0,unit=0,bootindex=1"]


def qemu_command(config, iso, workdir, config_disk, serial=None):
    """The QEMU command line for one boot. serial is a QEMU character device
    for COM1; by default the file serial.log in workdir."""
    workdir = Path(workdir)
    serial_device = []
    if serial is None and config.serial_input:
        # A socket to type into, with everything COM1 prints still logged to serial.log.
        serial = "chardev:com1"
        serial_device = ["-chardev", f"socket,id=com1,path={workdir / 'serial.sock'},server=on,wait=off,"
                                     f"logfile={workdir / 'serial.log'}"]
    serial = serial or f"file:{workdir / 'serial.log'}"
    command = [
        "qemu-system-x86_64",
        "-display", config.display,
        "-no-reboot",                       # a reset ends QEMU with status 0
        *serial_device,
        "-serial", serial,
        # mon:stdio already multiplexes the monitor (Ctrl-A C) onto the terminal.
        *([] if serial.startswith("mon:") else ["-monitor", "none"]),
        *(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] if config.exit_device else []),
        "-m", config.memory,
        "-smp", str(config.smp),
        "-d", "cpu_reset,int" if config.trace_interrupts else "cpu_reset",
        "-D", str(workdir / "qemu.log"),
    ]
    if config.direct:
        if config.firmware != "bios":
            raise ValueError("a direct boot (QEMU's -kernel) needs the BIOS firmware")
        if any("," in str(module) for module in config.modules):
            raise ValueError("QEMU's -initrd separates modules with commas: module paths cannot hold one")
        command += ["-kernel", str(config.direct_kernel), "-append", config.append]
        if config.modules:
            command += ["-initrd", ",".join(str(module) for module in config.modules)]
    else:
        command += disk_arguments(config, iso, config_disk)
    if config.machine:
        command += ["-machine", config.machine]
    if config.cpu:
        command += ["-cpu", config.cpu]
    if config.firmware == "uefi":
        code, _ = find_ovmf()
        variables = workdir / "OVMF_VARS.fd"   # OVMF writes to it: a private copy
        shutil.copyfile(starting_variables(machine_type(config), config.fresh_uefi_variables), variables)
        command += [
            "-drive", f"if=pflash,format=raw,readonly=on,file={code}",
            "-drive", f"if=pflash,format=raw,file={variables}",
        ]
    elif config.firmware != "bios":
        raise ValueError(f"unknown firmware {config.firmware!r} (bios or uefi)")
    if config.qmp:
        command += ["-qmp", f"unix:{workdir / 'qmp.sock'},server=on,wait=off"]
    command += ["-qmp", f"unix:{forensics_socket(workdir)},server=on,wait=off"]
    if config.gdb_port is not None:
        command += ["-gdb", f"tcp:127.0.0.1:{config.gdb_port}"]
    if config.paused:
        command += ["-S"]
    if config.deterministic_clock:
        command += ["-icount", "shift=auto"]
    if config.record_replay:
        command += replay_arguments(config)
    command += coverage.qemu_arguments(workdir, _kernel_elf(config, iso))
    command += list(config.extra_args)
    if config.firmware == "uefi":
        # Or OVMF waits 1.5 s for a TPM that is not there (harness/software_tpm.py).
        command = software_tpm.with_tpm(command, workdir)
    return command


def start_qemu(config, iso, workdir):
    """Starts QEMU for config; returns (process, command)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    config_disk = None if config.direct else config_disk_for(config, iso, workdir)
    command = qemu_command(config, iso, workdir, config_disk)
    for name in ("serial.log", "qemu.log"):
        (workdir / name).unlink(missing_ok=True)
    process = popen_without_huge_pages(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, start_new_session=True)
    return process, command


def config_disk_for(config, iso, workdir):
    """The command-line disk: made for the boot, kept with a recording, and
    for a replay the recorded one (with checks that the ISO and the disks'
    layout are the ones recorded: a replay of another kernel, or with the
    disks elsewhere, would go astray at once)."""
    if config.record_replay == "replay":
        facts = json.loads((Path(config.recording) / RECORDING_FACTS).read_text())
        recorded_layout = facts.get("disks", "the CD on the IDE channel (before the layout was recorded)")
        if recorded_layout != DISK_LAYOUT:
            raise ValueError(f"{config.recording} was recorded with {recorded_layout}; boots now have "
                             f"{DISK_LAYOUT}: record it again")
        if facts["iso_sha256"] != _sha256(iso):
            raise ValueError(f"{iso} is not the ISO recorded in {config.recording} (rebuilt since?)")
        disk = Path(workdir) / RECORDING_DISK
        shutil.copyfile(Path(config.recording) / RECORDING_DISK, disk)
        return disk
    disk = make_config_disk(workdir, config.cmdline, config.loader)
    if config.record_replay == "record":
        recording = Path(config.recording)
        recording.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(disk, recording / RECORDING_DISK)
        (recording / RECORDING_FACTS).write_text(json.dumps(
            {"iso": str(Path(iso).resolve()), "iso_sha256": _sha256(iso), "cmdline": config.cmdline,
             "disks": DISK_LAYOUT}) + "\n")
    return disk


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stop_qemu(process, workdir=None):
    """Ends QEMU and everything in its session (and, for workdir's boot, its
    software TPM and forensics socket, and files its coverage dump if there
    is one)."""
    snapshot_taken = False
    if process.poll() is None:
        if workdir is not None:
            snapshot_taken = coverage.snapshot(workdir, forensics_socket(workdir))
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if workdir is not None:
        release_outside_files(workdir)
        coverage.collect(workdir, snapshot_taken)


def _read(path):
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def unread_by_peer(connection):
    """Whether the other end of a Unix stream socket has yet to read some of
    what was sent: SIOCOUTQ (the same request number as TIOCOUTQ) counts the
    memory of the sent data the peer has not taken, unix(7)."""
    queued = fcntl.ioctl(connection.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
    return struct.unpack("i", queued)[0] > 0


def complete_serial_lines(path):
    """Serial lines of a boot still running: the kernel may be writing the
    last one. What follows the last line end is that partial line, or
    nothing (an empty string) when the log ends at a line's end: neither is
    a line yet."""
    return serial_lines(_read(path))[:-1]


def wait_for_boot(process, config, workdir, command, started, kernel_elf=None):
    """Waits for QEMU to end (or the timeout, or stop_on) and classifies it.
    At the timeout, QEMU is examined before it is killed."""
    workdir = Path(workdir)
    serial_path = workdir / "serial.log"
    deadline = started + config.timeout
    timed_out = stopped = False
    seen_stop_line_at = None
    while process.poll() is None:
        now = time.monotonic()
        if seen_stop_line_at is not None and now >= seen_stop_line_at + config.linger:
            stopped = True
            break
        if now >= deadline:
            timed_out = True
            break
        if config.stop_on is not None and seen_stop_line_at is None:
            if any(line.startswith(config.stop_on) for line in complete_serial_lines(serial_path)):
                seen_stop_line_at = now
        try:
            process.wait(SERIAL_POLL_SECONDS)   # back within milliseconds when QEMU ends
        except subprocess.TimeoutExpired:
            pass
    seconds = time.monotonic() - started
    examine = timed_out or (stopped and config.examine_on_stop)
    hang_report = hang_forensics.examine(forensics_socket(workdir), kernel_elf) if examine else []
    stop_qemu(process, workdir)
    exit_status = None if (timed_out or stopped) else process.returncode

    lines = serial_lines(_read(serial_path))
    qemu_log = _read(workdir / "qemu.log").decode("utf-8", errors="replace")
    qemu_output = process.stdout.read().decode("utf-8", errors="replace") if process.stdout else ""
    if qemu_output.strip():
        qemu_log += "\n--- QEMU stdout/stderr ---\n" + qemu_output
    outcome, reason = classify(exit_status, lines, qemu_log, timed_out=timed_out, stopped=stopped)
    return BootResult(config, command, outcome, reason, exit_status, lines, qemu_log, seconds,
                      kernel_elf=kernel_elf, hang_report=hang_report)


def _with_capture_stub(config):
    """The config QEMU starts with: paused behind a GDB stub when the boot
    information is to be captured."""
    if config.capture_boot_information:
        return dataclasses.replace(config, gdb_port=boot_information_capture.free_port(), paused=True)
    return config


def _capture_if_asked(process, config, iso, workdir, command, started):
    """The Multiboot2 information at the kernel's entry, or None if not asked;
    QEMU runs on afterwards. A failed capture stops QEMU and reports the boot."""
    if not config.capture_boot_information:
        return None
    kernel_elf = kernel_elf_of(iso)
    try:
        return boot_information_capture.capture(process, config.gdb_port, kernel_elf, workdir)
    except RuntimeError as error:
        stop_qemu(process)
        partial = wait_for_boot(process, config, workdir, command, started)
        raise AssertionError(f"{error}\n{partial.report()}") from None


def kernel_elf_of(iso):
    """The ELF built with an ISO, beside it: rayos.iso and rayos.elf (the test
    kernel), rayos-release.iso and rayos-release.elf."""
    return Path(iso).with_suffix(".elf")


def _kernel_elf(config, iso):
    """The ELF of the RayOS booted: the one built with the ISO, or for a
    direct boot by the hand-off loader its first module; None for another
    binary (the impostor) or an ISO without one beside it."""
    if config.direct:
        elf = Path(config.modules[0]) if config.modules else None
        return elf if elf is not None and elf.name == "rayos.elf" and elf.is_file() else None
    elf = kernel_elf_of(iso)
    return elf if elf.is_file() else None


def boot(config, iso, workdir):
    """Boots once and returns a BootResult; QEMU never outlives the call."""
    started = time.monotonic()
    config = _with_capture_stub(config)
    process, command = start_qemu(config, iso, workdir)
    try:
        handed_over = _capture_if_asked(process, config, iso, workdir, command, started)
        result = wait_for_boot(process, config, workdir, command, started, _kernel_elf(config, iso))
        result.handed_over = handed_over
    finally:
        stop_qemu(process, workdir)
    if result.outcome in (Outcome.TRIPLE_FAULT, Outcome.RESET):
        result.reset_report = _explain_reset(result, iso, workdir)
    remember_uefi_variables(result, workdir)
    return result


def remember_uefi_variables(result, workdir):
    """A UEFI boot whose kernel reached its ready line left a variable store
    OVMF was done with (it writes before it hands over): later boots of the
    machine type may start from it (harness/firmware.py)."""
    if result.config.firmware == "uefi" and any(line.startswith(READY_PREFIX) for line in result.lines):
        remember_variables(machine_type(result.config), Path(workdir) / "OVMF_VARS.fd")


def _explain_reset(result, iso, workdir):
    """Why the boot reset: from its own log when it ran under -d int,
    otherwise from a rerun that does (once: the rerun is not rerun)."""
    if result.config.trace_interrupts:
        return reset_forensics.explain(result.qemu_log, result.kernel_elf)
    # Unattended: no debugger stub to wait for, no capture.
    config = dataclasses.replace(result.config, trace_interrupts=True, gdb_port=None, paused=False,
                                 capture_boot_information=False)
    try:
        rerun = boot(config, iso, Path(workdir) / "rerun")
    except (OSError, ValueError, AssertionError, subprocess.SubprocessError) as error:
        return [f"(the rerun under -d int,cpu_reset could not run: {error})"]
    if rerun.outcome is not result.outcome:
        return [f"rerun once under -d int,cpu_reset: not reproduced, it ended {rerun.outcome.value} "
                f"({rerun.reason})"]
    return (["rerun once under -d int,cpu_reset, which ended the same way"]
            + reset_forensics.explain(rerun.qemu_log, rerun.kernel_elf))


class RunningBoot:
    """A boot that a test interacts with while it runs (keys, serial)."""

    def __init__(self, config, iso, workdir):
        self.config, self.workdir, self.iso = _with_capture_stub(config), Path(workdir), iso
        self.hang_report = []
        self.started = time.monotonic()
        self.process, self.command = start_qemu(self.config, iso, workdir)
        # With capture_boot_information, the boot runs once this returns.
        # Whatever else it raises (gdb's timeout, an interrupt), QEMU and its
        # software TPM end here: the fixture never sees this object to
        # finish it.
        try:
            self.handed_over = _capture_if_asked(self.process, self.config, iso, workdir, self.command,
                                                 self.started)
        except BaseException:
            stop_qemu(self.process, self.workdir)
            raise

    def lines(self):
        return complete_serial_lines(self.workdir / "serial.log")

    def type_serial(self, data):
        """Sends bytes to COM1 (needs serial_input=True) and stays connected
        until QEMU has read them all off the socket: it reads as the UART's
        receive FIFO has room, and a client that hangs up first loses what
        was still unread (four console tests fail when it does). What QEMU
        sends back meanwhile is read and dropped (serial.log has it)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(str(self.workdir / "serial.sock"))
            connection.sendall(data)
            connection.setblocking(False)
            deadline = time.monotonic() + TYPED_TIMEOUT_SECONDS
            while unread_by_peer(connection):
                if time.monotonic() > deadline:
                    raise AssertionError(f"QEMU read only part of the {len(data)} bytes typed on COM1 "
                                         f"within {TYPED_TIMEOUT_SECONDS} s (is the kernel taking input?)")
                try:
                    connection.recv(65536)
                except BlockingIOError:
                    pass
                time.sleep(TYPED_POLL_SECONDS)

    def wait_for_line(self, text, timeout=30.0):
        """Waits for a serial line that starts with text; returns it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines():
                if line.startswith(text):
                    return line
            if self.process.poll() is not None:
                break
            time.sleep(SERIAL_POLL_SECONDS)
        if self.process.poll() is not None:
            raise AssertionError(f"no line starting {text!r} within {timeout} s (QEMU exited "
                                 f"{self.process.returncode})")
        # Still running: where each CPU is (QEMU is left stopped for the
        # report; finish() ends it).
        self.hang_report = hang_forensics.examine(forensics_socket(self.workdir), _kernel_elf(self.config, self.iso))
        raise AssertionError(f"no line starting {text!r} within {timeout} s (QEMU running); where it was:\n"
                             + "\n".join(self.hang_report))

    def snapshot(self):
        """The BootResult so far, QEMU left as it is (for failure reports)."""
        return self._result(running=self.process.poll() is None)

    def finish(self):
        """Stops QEMU and returns the BootResult (STOPPED if it was still running)."""
        running = self.process.poll() is None
        stop_qemu(self.process, self.workdir)
        result = self._result(running)
        remember_uefi_variables(result, self.workdir)
        return result

    def _result(self, running):
        lines = self.lines()
        qemu_log = _read(self.workdir / "qemu.log").decode("utf-8", errors="replace")
        exit_status = None if running else self.process.returncode
        outcome, reason = classify(exit_status, lines, qemu_log, stopped=running)
        result = BootResult(self.config, self.command, outcome, reason, exit_status, lines, qemu_log,
                            time.monotonic() - self.started)
        result.handed_over = self.handed_over
        result.kernel_elf = _kernel_elf(self.config, self.iso)
        result.hang_report = self.hang_report
        return result
