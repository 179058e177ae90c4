"""The README's screenshots, taken from real boots: the screen after a
boot, and after a fault report. Run by ci/screenshots.sh:

    python3 -m harness.screenshots BUILD_DIR OUTPUT_DIR
"""

import sys
import tempfile
import time
from pathlib import Path

from .qemu import BootConfig, RunningBoot
from .qmp import QmpClient
from .screen import read_ppm, write_png

# (file, kernel command line, the line after which the screen is complete)
SHOTS = [
    ("boot.png", "", "[BOOT] halted"),
    ("fault.png", "fault=null-pointer", "[PANIC] unhandled"),
]
SETTLE_SECONDS = 1.0


def take(iso, workdir, cmdline, last_line, output):
    config = BootConfig(cmdline=cmdline, qmp=True, exit_device=False, timeout=60)
    boot = RunningBoot(config, iso, workdir)
    try:
        boot.wait_for_line(last_line, timeout=60)
        time.sleep(SETTLE_SECONDS)  # the console draws when the kernel waits
        qmp = QmpClient(Path(workdir) / "qmp.sock")
        try:
            qmp.execute("screendump", filename=str(Path(workdir) / "screen.ppm"))
        finally:
            qmp.close()
        write_png(read_ppm(Path(workdir) / "screen.ppm"), output)
    finally:
        boot.finish()


def main(arguments):
    if len(arguments) != 2:
        sys.exit(__doc__)
    build, output = Path(arguments[0]), Path(arguments[1])
    output.mkdir(parents=True, exist_ok=True)
    for name, cmdline, last_line in SHOTS:
        with tempfile.TemporaryDirectory() as workdir:
            take(build / "rayos-release.iso", workdir, cmdline, last_line, output / name)
        print(f"screenshots: {output / name}")


if __name__ == "__main__":
    main(sys.argv[1:])
