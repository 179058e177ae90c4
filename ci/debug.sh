#!/usr/bin/env bash
# Builds RayOS, starts QEMU paused with its GDB stub, and opens gdb on
# build/rayos.elf stopped at the C++ entry point (kernel_main). QEMU's
# serial log goes to build/debug-serial.log; quitting gdb ends QEMU.
#   bash ci/debug.sh [--uefi] [-- KERNEL WORDS...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh >&2

port=${RAYOS_GDB_PORT:-1234}
# QEMU in a session of its own: Ctrl-C in gdb must interrupt the kernel, not
# reach QEMU through the terminal's process group and end it.
setsid /usr/bin/python3 test/harness/run.py --gdb-port "$port" --paused --serial-file build/debug-serial.log "$@" &
qemu_runner=$!
trap 'kill -- -"$qemu_runner" 2>/dev/null || true' EXIT

gdb -q -x ci/gdb/rayos.gdb -x ci/gdb/rayos.py -ex "rayos-connect $port" build/rayos.elf
