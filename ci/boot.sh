#!/usr/bin/env bash
# Builds RayOS and boots the ISO in QEMU with the kernel's serial log on this
# terminal.
#   bash ci/boot.sh [--uefi] [--display] [--memory 512M] [--cpu max] [-- KERNEL WORDS...]
#   bash ci/boot.sh --record FOLDER [-- KERNEL WORDS...]   (one CPU, BIOS)
#   bash ci/boot.sh --replay FOLDER [--gdb-port 1234]      (the same boot again)
# In a terminal the kernel halts after boot: Ctrl-A X leaves QEMU. Without
# a terminal (a pipe, CI) it boots with 'exit' and QEMU ends by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only the kernel and the ISO: the host tests and benchmarks are ci/test.sh's.
bash ci/setup.sh --boot >&2
# --display opens QEMU's GTK window (the screen console, the keyboard and
# the mouse in it): QEMU's GUI is a package of its own.
for argument in "$@"; do
  if [ "$argument" = -- ]; then break; fi
  if [ "$argument" = --display ]; then bash ci/install_packages.sh qemu-system-gui >&2; fi
done
PYTHONPATH="test${PYTHONPATH:+:$PYTHONPATH}" exec /usr/bin/python3 -m harness.run "$@"
