"""Where the distribution keeps OVMF, the UEFI firmware QEMU boots with."""

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
