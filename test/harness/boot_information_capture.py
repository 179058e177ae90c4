"""The Multiboot2 information exactly as the loader handed it to RayOS, read
from outside the kernel: QEMU starts paused with its GDB stub, gdb stops at
the kernel's entry point (the ELF's e_entry) with a hardware breakpoint,
reads EAX, EBX and the structure EBX points at, and detaches; the boot then
runs on as usual. Tests compute what the kernel must print from this, never
from what it printed."""

import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .elf import KernelElf
from .multiboot2 import BOOTLOADER_MAGIC

GDB_SECONDS = 60
# The stub's address, literally: a name like localhost may not resolve, or
# resolve to ::1 first (QEMU listens on IPv4).
STUB_HOST = "127.0.0.1"

# Run inside gdb. The loader may pass through the entry address before it
# enters the kernel (firmware code, say): only a stop with the Multiboot2
# magic in EAX is the hand-over.
_GDB_SCRIPT = r"""
import gdb, json, os
gdb.execute("set architecture i386:x86-64")
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("target remote " + os.environ["RAYOS_STUB"])
gdb.execute("hbreak *" + os.environ["RAYOS_ENTRY"])
magic = int(os.environ["RAYOS_MAGIC"])
for _ in range(8):
    gdb.execute("continue")
    eax = int(gdb.parse_and_eval("$rax")) & 0xFFFFFFFF
    if eax == magic:
        break
ebx = int(gdb.parse_and_eval("$rbx")) & 0xFFFFFFFF
memory = gdb.selected_inferior()
total_size = int.from_bytes(bytes(memory.read_memory(ebx, 4)), "little")
data = bytes(memory.read_memory(ebx, min(total_size, 1 << 20)))
with open(os.environ["RAYOS_OUT"], "w") as out:
    json.dump({"eax": eax, "ebx": ebx, "data": data.hex()}, out)
gdb.execute("delete")
gdb.execute("detach")
"""


@dataclass(frozen=True)
class HandedOver:
    magic: int       # EAX at the kernel's entry
    address: int     # EBX: the structure's physical address
    data: bytes      # the structure, total_size bytes

    @property
    def end(self):
        return self.address + len(self.data)


def entry_point(kernel_elf):
    return KernelElf(kernel_elf).entry


def free_port():
    with socket.socket() as probe:
        probe.bind((STUB_HOST, 0))
        return probe.getsockname()[1]


def wait_for_stub(port, process, seconds=10):
    """Returns once QEMU's GDB stub accepts connections on port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection((STUB_HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"QEMU's GDB stub never listened on {STUB_HOST}:{port}")


def capture(process, port, kernel_elf, workdir):
    """With QEMU started paused on `port`: the structure handed over, or
    RuntimeError with gdb's output. QEMU runs on afterwards."""
    wait_for_stub(port, process)
    workdir = Path(workdir)
    script, out = workdir / "capture_boot_information.py", workdir / "boot_information.json"
    script.write_text(_GDB_SCRIPT)
    out.unlink(missing_ok=True)
    environment = dict(os.environ, RAYOS_STUB=f"{STUB_HOST}:{port}", RAYOS_OUT=str(out),
                       RAYOS_ENTRY=hex(entry_point(kernel_elf)), RAYOS_MAGIC=str(BOOTLOADER_MAGIC))
    gdb = subprocess.run(["gdb", "-batch", "-nx", "-x", str(script)], env=environment, capture_output=True,
                         text=True, timeout=GDB_SECONDS, stdin=subprocess.DEVNULL)
    if gdb.returncode != 0 or not out.is_file():
        raise RuntimeError(f"gdb could not read the boot information (status {gdb.returncode}):\n"
                           + gdb.stdout + gdb.stderr)
    found = json.loads(out.read_text())
    return HandedOver(found["eax"], found["ebx"], bytes.fromhex(found["data"]))
