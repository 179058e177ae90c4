"""Where the distribution keeps OVMF, the UEFI firmware QEMU boots with,
and which variable store a UEFI boot starts from."""

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

# (code, variables template) pairs, newest layout first: Debian 12 and
# Ubuntu 22.04+ ship the 4M images; older releases only the 2M ones.
OVMF_CANDIDATES = [
    ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
    ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"),
]


def find_ovmf():
    """Returns (code, vars template) paths, or raises with what was tried."""
    for code, variables in OVMF_CANDIDATES:
        if Path(code).is_file() and Path(variables).is_file():
            return Path(code), Path(variables)
    tried = ", ".join(code for code, _ in OVMF_CANDIDATES)
    raise FileNotFoundError(f"no OVMF firmware found (tried {tried}); install the 'ovmf' package")


# OVMF's variable store as a boot that reached the kernel left it, per
# machine type, for the later UEFI boots of the same process, once
# reuse_warm_variables() is called (the boot tests' conftest.py does;
# ci/boot.sh and the benchmark, whose floor and RayOS boots must start
# alike, do not). A store copied fresh from the template is a machine's
# first boot ever: OVMF spends 0.8 s of its 4.6 under TCG writing its boot
# options and settings into the emulated flash. A store it has booted from
# already is what a machine has on every later boot, and OVMF then writes
# little. A boot that asks for a fresh store (BootConfig's
# fresh_uefi_variables: test_boot.py's UEFI boots) always gets one, and the
# boot order is QEMU's (bootindex) either way.
_warm_variables = {}
_reuse = False


def reuse_warm_variables():
    """Lets this process's UEFI boots start from a store an earlier boot left."""
    global _reuse
    _reuse = True


def starting_variables(machine_type, fresh=False):
    """The variable store a UEFI boot of this machine type ("pc" or "q35":
    OVMF's boot options name device paths, which differ between the two)
    starts from: one a boot left (remember_variables) unless fresh, else the
    distribution's template."""
    warm = _warm_variables.get(machine_type) if _reuse and not fresh else None
    return warm if warm is not None else find_ovmf()[1]


@functools.cache
def _kept_stores_folder():
    """One folder for this process's kept stores, removed when it exits."""
    folder = Path(tempfile.mkdtemp(prefix="rayos-ovmf-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def remember_variables(machine_type, variables):
    """Keeps the store a boot left once its kernel was running (OVMF was done
    writing it) for later boots of its machine type."""
    if not _reuse or machine_type in _warm_variables:
        return
    kept = _kept_stores_folder() / f"OVMF_VARS-{machine_type}.fd"
    shutil.copyfile(variables, kept)
    _warm_variables[machine_type] = kept
