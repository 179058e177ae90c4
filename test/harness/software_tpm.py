"""A software TPM 1.2 (swtpm) on every UEFI boot, because OVMF polls for
a TPM that is not there.

OVMF 2022.11 (Debian 12's) probes for a TPM at the TIS registers,
0xFED40000, early in PEI: first for TPM 1.2, then for TPM 2.0. A machine
without a TPM has nothing there, and QEMU reads unassigned memory as zero,
not as all ones: the probe's presence check (the access register is not
0xFF) passes, and each probe then waits TIS_TIMEOUT_A (750 ms) for a
register that never becomes valid, polling every 30 us on the ACPI PM
timer. Sampled through QMP, the CPU of a 4.1 s UEFI boot of the release
kernel spent 1.5 s in that polling loop, its stack holding 0xFED40000 and
750000 (us).

With a TPM 1.2 present the first probe answers at once, and OVMF then
measures its boot into it: swtpm's log (--log level=20) shows a
TPM_Startup, a self-test, two capability reads and 22 PCR extends. That
work costs back part of the 1.5 s: under -icount the floor kernel's line
comes 852 ms of virtual time earlier (the test kernel's entry 851.6 ms),
and a warm boot takes 0.65 s less by the wall clock (3.17 against 3.82 s,
median of 5 alternating; README, Tests). A TPM 2.0 costs more than it
saves (7.0 s a boot). The machine gains a TPM 1.2 on the ISA bus, a TCPA
ACPI table and a TPM device in the DSDT; the kernel uses none of them.
SeaBIOS reads a zero device ID as no TPM and does not wait, so BIOS boots
stay as they were.

QEMU talks to swtpm over its control socket; swtpm runs in the background
of a shell that then becomes QEMU (exec), so it is in QEMU's process group
and ends by itself when QEMU closes the connection (--terminate). A QEMU
that ends before it connects (a bad option, a missing binary) would leave
swtpm waiting for ever, so stop() ends it by the PID the launcher kept
(stop_qemu, ci/boot.sh and the benchmark call it). swtpm's output goes to
its log, never to the boot's output pipe: a swtpm left holding that pipe
would keep the harness waiting for an end of file that never comes."""

import os
import shlex
import shutil
import signal
from pathlib import Path

from .socket_paths import short_socket_path

SWTPM = "swtpm"
LAUNCHER_NAME = "with-software-tpm"
# How long the launcher waits for swtpm's socket (whole seconds: date +%s).
SOCKET_WAIT_SECONDS = 10

# $1: swtpm's state folder, $2: its control socket, $3: the seconds to wait
# for the socket. The rest: QEMU's command. The socket exists before QEMU
# starts; a swtpm that died before making it, or took too long, ends the
# boot showing its log.
_LAUNCH = """
swtpm socket --tpmstate dir="$1" --ctrl type=unixio,path="$2" --terminate >"$1/swtpm.log" 2>&1 &
tpm=$!
echo "$tpm" >"$1/swtpm.pid"
deadline=$(($(date +%s) + $3))
while [ ! -S "$2" ]; do
    if ! kill -0 "$tpm" 2>/dev/null; then
        echo "swtpm exited before making its socket; its log:" >&2
        cat "$1/swtpm.log" >&2
        exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "swtpm made no socket in $3 s; its log:" >&2
        cat "$1/swtpm.log" >&2
        kill -KILL "$tpm"
        exit 1
    fi
    sleep 0.01
done
shift 3
exec "$@"
"""


def require_swtpm():
    if shutil.which(SWTPM) is None:
        raise FileNotFoundError("no swtpm found: UEFI boots need it (harness/software_tpm.py says why); "
                                "install the 'swtpm' package (bash ci/setup.sh does)")


def _state(workdir):
    return Path(workdir) / "tpm"


def control_socket(workdir):
    """swtpm's control socket (short_socket_path says where)."""
    return short_socket_path(workdir, "tpm")


def with_tpm(qemu_command, workdir, socket_wait_seconds=SOCKET_WAIT_SECONDS):
    """qemu_command (a list starting with the QEMU binary) run with a
    software TPM 1.2 attached, its state in workdir/tpm."""
    require_swtpm()
    state = _state(workdir)
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    socket = control_socket(workdir)
    socket.unlink(missing_ok=True)
    return ["sh", "-c", _LAUNCH, LAUNCHER_NAME, str(state), str(socket), str(socket_wait_seconds), *qemu_command,
            "-chardev", f"socket,id=tpm-control,path={socket}",
            "-tpmdev", "emulator,id=tpm,chardev=tpm-control",
            "-device", "tpm-tis,tpmdev=tpm"]


def stop(workdir):
    """Ends workdir's swtpm if it still runs (its QEMU never connected, or
    was killed before swtpm saw the connection close), and removes its
    socket. A boot without a TPM has nothing to end."""
    pid_file = _state(workdir) / "swtpm.pid"
    try:
        pid = int(pid_file.read_text())
    except (FileNotFoundError, ValueError):
        pid = None
    if pid is not None:
        # Only this boot's swtpm: once swtpm has ended, its PID may have
        # gone to another process, even another boot's swtpm. Each boot's
        # swtpm names its own control socket on its command line.
        try:
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if f"type=unixio,path={control_socket(workdir)}".encode() in arguments:
                os.kill(pid, signal.SIGKILL)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
        pid_file.unlink(missing_ok=True)
    control_socket(workdir).unlink(missing_ok=True)


def shown(command):
    """command as a shell line, the launcher folded into a note: a failure
    report shows the QEMU command, not the launcher's script."""
    if command[:2] == ["sh", "-c"] and len(command) > 3 and command[3] == LAUNCHER_NAME:
        return "(with a software TPM, harness/software_tpm.py) " + shlex.join(command[7:])
    return shlex.join(command)
