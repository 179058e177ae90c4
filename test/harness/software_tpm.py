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
750000 (us). With the TPM: 0.65 s less a boot, median of 5 alternating
(3.17 against 3.82 s), and under -icount the floor kernel's line 852 ms of
virtual time earlier (README, Tests).

With a TPM 1.2 present the first probe answers at once; this OVMF has no
TPM 1.2 driver, so it measures nothing into it (a TPM 2.0 would have it
hash its firmware volumes and every image it loads: 7.0 s a boot). The
machine gains a TPM 1.2 on the ISA bus, a TCPA ACPI table and a TPM device
in the DSDT; the kernel uses none of them. SeaBIOS reads a zero device ID as
no TPM and does not wait, so BIOS boots stay as they were.

QEMU talks to swtpm over its control socket; swtpm runs in the background
of a shell that then becomes QEMU (exec), so it is in QEMU's process group
(the harness's stop kills the group) and ends by itself when QEMU closes the
connection (--terminate)."""

import shutil
from pathlib import Path

SWTPM = "swtpm"

# $1: swtpm's state folder. The rest: QEMU's command. The socket exists
# before QEMU starts; a swtpm that died before making it ends the boot,
# showing its log. What swtpm says otherwise (a line as QEMU leaves) stays
# in its log, out of the boot's output.
_LAUNCH = """
swtpm socket --tpmstate dir="$1" --ctrl type=unixio,path="$1/control.sock" --terminate 2>"$1/swtpm.log" &
tpm=$!
while [ ! -S "$1/control.sock" ]; do
    if ! kill -0 "$tpm" 2>/dev/null; then
        echo "swtpm exited before making its socket; its log:" >&2
        cat "$1/swtpm.log" >&2
        exit 1
    fi
    sleep 0.01
done
shift
exec "$@"
"""


def require_swtpm():
    if shutil.which(SWTPM) is None:
        raise FileNotFoundError("no swtpm found: UEFI boots need it (harness/software_tpm.py says why); "
                                "install the 'swtpm' package (bash ci/setup.sh does)")


def with_tpm(qemu_command, workdir):
    """qemu_command (a list starting with the QEMU binary) run with a
    software TPM 1.2 attached, its state in workdir/tpm."""
    require_swtpm()
    state = Path(workdir) / "tpm"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    return ["sh", "-c", _LAUNCH, "with-software-tpm", str(state), *qemu_command,
            "-chardev", f"socket,id=tpm-control,path={state / 'control.sock'}",
            "-tpmdev", "emulator,id=tpm,chardev=tpm-control",
            "-device", "tpm-tis,tpmdev=tpm"]
