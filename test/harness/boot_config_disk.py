"""The small FAT disk that hands GRUB a kernel command line.

iso/grub.cfg sources (hd0)/rayos-boot.cfg when it exists, so each boot
gets its own command line through the real Multiboot2 tag without
rebuilding the ISO. mtools writes the image without root or loop devices.
"""

import subprocess
from pathlib import Path


def grub_single_quoted(text):
    """GRUB script single quotes take everything literally except the quote
    itself, which is closed, escaped and reopened (as in sh)."""
    return "'" + text.replace("'", "'\\''") + "'"


LOADERS = ("multiboot2", "multiboot")


def make_config_disk(directory, cmdline, loader="multiboot2"):
    """Writes a 1.44 MB FAT image holding rayos-boot.cfg; returns its path.
    loader is GRUB's command for the kernel: multiboot2, or multiboot (v1)
    to test the trampoline's refusal of it."""
    if loader not in LOADERS:
        raise ValueError(f"unknown loader {loader!r} (one of {', '.join(LOADERS)})")
    directory = Path(directory)
    config = directory / "rayos-boot.cfg"
    config.write_text(f"set rayos_cmdline={grub_single_quoted(cmdline)}\n"
                      f"set rayos_loader={loader}\n")
    image = directory / "rayos-boot.img"
    image.unlink(missing_ok=True)
    subprocess.run(["mformat", "-C", "-f", "1440", "-i", str(image), "::"],
                   check=True, capture_output=True)
    subprocess.run(["mcopy", "-i", str(image), str(config), "::/"],
                   check=True, capture_output=True)
    return image
