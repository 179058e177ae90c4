#!/usr/bin/env bash
# Builds RayOS and boots the ISO in QEMU with the kernel's serial log on this
# terminal.
#   bash ci/boot.sh [--uefi] [--display] [--memory 512M] [--cpu max] [-- KERNEL WORDS...]
#   bash ci/boot.sh --test-kernel [-- test]   (the kernel with the kernel tests and UBSan)
#   bash ci/boot.sh --record FOLDER [-- KERNEL WORDS...]   (one CPU, BIOS)
#   bash ci/boot.sh --replay FOLDER [--gdb-port 1234]      (the same boot again)
# In a terminal the kernel halts after boot: Ctrl-A X leaves QEMU. Without
# a terminal (a pipe, CI) it boots with 'exit' and QEMU ends by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only the kernel booted and its ISO: the host tests and benchmarks are
# ci/test.sh's. A replay boots the kernel it recorded, either one.
iso_targets=(rayos-release.iso)
for argument in "$@"; do
  if [ "$argument" = -- ]; then break; fi
  case "$argument" in
    # --display opens QEMU's GTK window (the screen console, the keyboard
    # and the mouse in it): QEMU's GUI is a package of its own.
    --display) bash ci/install_packages.sh qemu-system-gui >&2 ;;
    --test-kernel) iso_targets=(rayos.iso) ;;
    --replay) iso_targets=(rayos-release.iso rayos.iso) ;;
  esac
done
bash ci/setup.sh --boot "${iso_targets[@]}" >&2
PYTHONPATH="test${PYTHONPATH:+:$PYTHONPATH}" exec /usr/bin/python3 -m harness.run "$@"
