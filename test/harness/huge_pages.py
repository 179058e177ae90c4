"""QEMU without transparent huge pages: every QEMU the project starts (the
harness's boots, ci/boot.sh and ci/debug.sh through harness/run.py, and
ci/benchmark.py's boots timed by the wall clock).

QEMU asks the host for transparent huge pages (madvise) for the guest's
RAM and for TCG's buffer of translated code. The first write to a 2 MiB
region that the host has not backed yet then waits while the host clears
all 2 MiB. On this VM (itself a guest, whose fresh memory faults in its own
host too) that wait took 4 to 5 ms. A release kernel's boot writes two
regions of guest RAM that neither the firmware nor GRUB wrote before it
(its heap's at 2 MiB, its first stacks' at 4 MiB: read from QEMU's
/proc/PID/pagemap at boot_entry and at the ready line), and its interrupt
and timer set-up meets a third region, though no new one of guest RAM (TCG's
code buffer, presumably). So those three phases each took either their
usual time or 4 to 5 ms more: boot profiles of 48 ms or of 56 to 63 ms, at
random. Measured on 2026-11-29, two rounds of 10 alternating BIOS boots of
each ISO with and without: without the huge pages for QEMU the profiles
read 48.5 to 51.2 ms; RayOS's median from QEMU's start to the ready line
came down by 13 and 15 ms, the floors' moved by -14 to +2 (noise); the fastest
boots, which had met only regions the host had backed already, moved by
-5 to +12 ms. On real hardware memory is simply there: the figures
without the host's clearing are the truer comparison, and the steadier
one. The tests' boots gain a little too (alternating boots, the same
evening): a UEFI boot with `exit` 3.42 s against 3.19 (median of 4), a
BIOS one 0.488 against 0.470 (of 6, and 0.46-0.51 against 0.47-0.48),
every kernel test on 4 CPUs 7.08 against 6.95 s (of 3).

Linux's PR_SET_THP_DISABLE (prctl(2)) turns the huge pages off for a process
and everything it starts, whatever the process later asks with madvise;
/proc/PID/status then reads "THP_enabled: 0" (proc(5))."""

import ctypes
import os
import re
import subprocess
from pathlib import Path

# <linux/prctl.h>
PR_SET_THP_DISABLE = 41

_prctl = ctypes.CDLL(None, use_errno=True).prctl
_prctl.argtypes = (ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong)
_prctl.restype = ctypes.c_int


def set_transparent_huge_pages(enabled):
    """Turns transparent huge pages on or off for this process and every
    process it starts from then on."""
    if _prctl(PR_SET_THP_DISABLE, 0 if enabled else 1, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"prctl(PR_SET_THP_DISABLE): {os.strerror(error)}")


def popen_without_huge_pages(command, **kwargs):
    """subprocess.Popen(command, **kwargs), the command without transparent
    huge pages. The setting is made in this process, not in the child
    between fork and exec: a preexec_fn takes Python off its fast way of
    starting a process (1.9 ms a start against 0.1, a reviewer's figures)
    and is unsafe while other threads run (pytest-xdist's). This process's
    own memory loses nothing: Python never asks for huge pages."""
    set_transparent_huge_pages(False)
    return subprocess.Popen(command, **kwargs)


def huge_page_facts(pid):
    """(THP_enabled from /proc/PID/status, AnonHugePages in kB from
    /proc/PID/smaps_rollup): the host kernel's own account of a process,
    the tests' oracle for the above."""
    status = Path(f"/proc/{pid}/status").read_text()
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    thp_enabled = int(re.search(r"^THP_enabled:\s+(\d+)$", status, re.MULTILINE).group(1))
    huge_kb = int(re.search(r"^AnonHugePages:\s+(\d+) kB$", rollup, re.MULTILINE).group(1))
    return thp_enabled, huge_kb
