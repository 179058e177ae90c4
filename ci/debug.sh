#!/usr/bin/env bash
# Builds RayOS, starts QEMU paused with its GDB stub, and opens gdb on
# build/rayos-release.elf (with --test-kernel, build/rayos.elf) stopped at
# the C++ entry point (kernel_main). QEMU's serial log goes to
# build/debug-serial.log; quitting gdb ends QEMU.
#   bash ci/debug.sh [--uefi] [--test-kernel] [-- KERNEL WORDS...]
#   RAYOS_GDB_PORT=1235 bash ci/debug.sh    (the stub's port; 1234 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

port=${RAYOS_GDB_PORT:-1234}
# QEMU cannot open its stub on a port another program holds, and gdb would
# then talk to that program instead: refuse before anything starts. The
# probe binds as QEMU does (SO_REUSEADDR), so a closed connection lingering
# in TIME_WAIT is no obstacle, but a listener is.
/usr/bin/python3 - "$port" <<'PY'
import socket
import sys

port = sys.argv[1]
if not port.isdigit() or not 0 < int(port) < 65536:
    sys.exit(f"ci/debug.sh: RAYOS_GDB_PORT={port!r} is not a TCP port (1 to 65535)")
with socket.socket() as probe:
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", int(port)))
    except OSError as error:
        sys.exit(f"ci/debug.sh: port {port} on 127.0.0.1 is already in use ({error.strerror}): another "
                 "program holds it, perhaps an earlier QEMU; end it, or pick a free port with "
                 "RAYOS_GDB_PORT=<port> bash ci/debug.sh")
PY
# The release kernel, or with --test-kernel the one with the kernel tests.
kernel=rayos-release
for argument in "$@"; do
  if [ "$argument" = -- ]; then break; fi
  if [ "$argument" = --test-kernel ]; then kernel=rayos; fi
done
bash ci/setup.sh --boot "$kernel.iso" >&2

# QEMU in a session of its own: Ctrl-C in gdb must interrupt the kernel, not
# reach QEMU through the terminal's process group and end it.
PYTHONPATH="test${PYTHONPATH:+:$PYTHONPATH}" setsid /usr/bin/python3 -m harness.run --gdb-port "$port" --paused --serial-file build/debug-serial.log "$@" &
qemu_runner=$!
trap 'kill -- -"$qemu_runner" 2>/dev/null || true' EXIT

gdb -q -x ci/gdb/rayos.gdb -x ci/gdb/rayos.py -ex "rayos-connect $port" "build/$kernel.elf"
