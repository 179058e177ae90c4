"""What a hung boot was doing, read from QEMU before the harness kills it: a
boot that times out is never just "timeout". Through QMP, QEMU is stopped
and, for every CPU, its registers are read (the monitor's `info registers
-a`): where it is (RIP, symbolized with file:line), whether interrupts are on
(RFLAGS.IF), whether it sits in `hlt`, and its frame-pointer chain walked
through guest memory (`memsave`, in that CPU's address space). Then the last
lines of the kernel's in-memory log (src/kernel/log.cpp's history ring, as
gdb's `rayos-log` reads it), which may hold lines the serial port had not
sent yet.

Each step that cannot be done (QEMU gone, a CPU in 32-bit mode, memory not
mapped) says so in the report instead of failing it."""

import re
import tempfile
import time
from pathlib import Path

from .elf import KernelElf
from .qmp import QmpClient
from .symbolize import symbolizer_for

MAX_FRAMES = 32
LOG_TAIL_LINES = 20
RFLAGS_IF = 1 << 9
CR0_PE = 1 << 0
SAMPLES = 5
SAMPLE_INTERVAL_SECONDS = 0.005
# Kernel addresses: the higher half (src/arch/x86_64/memory_layout.h).
KERNEL_SPACE = 0xFFFF800000000000
CPU_HEADER = re.compile(r"^CPU#(\d+)", re.MULTILINE)
REGISTER = re.compile(r"\b([A-Z][A-Z0-9]{1,3}) ?=([0-9a-f]+)\b")


def cpu_registers(monitor_text):
    """{cpu: {register: value}} from `info registers -a`."""
    cpus = {}
    headers = list(CPU_HEADER.finditer(monitor_text))
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(monitor_text)
        block = monitor_text[header.end():end]
        registers = {}
        for match in REGISTER.finditer(block):
            registers.setdefault(match.group(1), int(match.group(2), 16))
        cpus[int(header.group(1))] = registers
    return cpus


class GuestMemory:
    """Reads a CPU's virtual memory through QMP's memsave."""

    def __init__(self, qmp, folder):
        self.qmp, self.folder = qmp, Path(folder)

    def read(self, cpu, address, size):
        path = self.folder / "memory.bin"
        # QMP's val is a signed 64-bit integer: the higher half is negative.
        signed = address - (1 << 64) if address >= 1 << 63 else address
        self.qmp.execute("memsave", val=signed, size=size, filename=str(path), **{"cpu-index": cpu})
        data = path.read_bytes()
        if len(data) != size:
            raise RuntimeError(f"memsave read {len(data)} of {size} bytes at {address:#x}")
        return data

    def word(self, cpu, address):
        return int.from_bytes(self.read(cpu, address, 8), "little")


def walk_frames(memory, cpu, rbp, is_code):
    """Return addresses up the RBP chain: [RBP] is the caller's RBP, [RBP+8]
    the return address (every kernel function sets its frame up first)."""
    frames = []
    while len(frames) < MAX_FRAMES and rbp >= KERNEL_SPACE and rbp % 8 == 0:
        try:
            caller_rbp, return_address = memory.word(cpu, rbp), memory.word(cpu, rbp + 8)
        except RuntimeError:
            break
        if not is_code(return_address):
            break
        frames.append(return_address)
        if caller_rbp <= rbp:   # stacks grow down: a caller's frame is above
            break
        rbp = caller_rbp
    return frames


PUSH_RBP, MOV_RBP_RSP, RET = b"\x55", b"\x48\x89\xe5", b"\xc3"


def unframed_return_address(memory, cpu, rip, rsp):
    """The return address of code stopped where its frame is not (or no
    longer) set up, from the stack; None where RBP's chain covers it. At a
    function's first instruction (push rbp) and at its ret, the return
    address is at RSP; between push rbp and mov rbp, rsp, one word up.
    (The kernel's own walker does the same: walk_interrupted_frames.)"""
    try:
        code = memory.read(cpu, rip - 1, 4)
        if code[1:2] in (PUSH_RBP, RET):
            return memory.word(cpu, rsp)
        if code[0:1] == PUSH_RBP and code[1:4] == MOV_RBP_RSP:
            return memory.word(cpu, rsp + 8)
    except RuntimeError:
        pass
    return None


def describe(symbolizer, address, lookup):
    if symbolizer is None or not symbolizer.is_code(address):
        return f"{address:#018x}"
    frames = symbolizer.locate([lookup]).get(lookup)
    if not frames:
        return f"{address:#018x}"
    (function, place), *callers = frames
    inlined = "".join(f" (inlined into {caller})" for caller, _ in callers[:1])
    return f"{address:#018x} {function}{inlined} at {place}"


# src/kernel/log.cpp's history ring, kernel::(anonymous namespace)::g_history
# and g_history_written, by their mangled names.
HISTORY = "_ZN6kernel12_GLOBAL__N_19g_historyE"
HISTORY_WRITTEN = "_ZN6kernel12_GLOBAL__N_117g_history_writtenE"


def kernel_log_tail(memory, elf, lines=LOG_TAIL_LINES):
    """The last lines of the kernel's history ring (src/kernel/log.cpp)."""
    history, written_symbol = elf.symbol(HISTORY), elf.symbol(HISTORY_WRITTEN)
    size = history["st_size"]
    written = memory.word(0, written_symbol["st_value"])
    data = memory.read(0, history["st_value"], size)
    start = written % size
    text = data[:written] if written <= size else data[start:] + data[:start]
    return text.decode("utf-8", errors="replace").replace("\r", "").rstrip("\n").split("\n")[-lines:]


def examine(socket_path, kernel_elf=None):
    """Lines describing every CPU of the QEMU behind socket_path (left
    stopped) and the kernel's log tail. Each CPU is read SAMPLES times a few
    milliseconds apart and shown as it was most often (interrupts on or
    off, halted or not): a CPU that spins with interrupts on spends some of
    its time in the tick's handler, which is not where it hangs."""
    try:
        qmp = QmpClient(socket_path, timeout=5.0)
    except OSError as error:
        return [f"(QEMU's state could not be read: no QMP connection: {error})"]
    out = []
    symbolizer = symbolizer_for(kernel_elf) if kernel_elf else None
    try:
        with tempfile.TemporaryDirectory(prefix="rayos-hang-") as folder:
            memory = GuestMemory(qmp, folder)
            samples = []
            for sample in range(SAMPLES):
                if sample:
                    qmp.execute("cont")
                    time.sleep(SAMPLE_INTERVAL_SECONDS)
                qmp.execute("stop")
                text = qmp.execute("human-monitor-command", **{"command-line": "info registers -a"})
                samples.append({cpu: (state_key(registers), describe_cpu(cpu, registers, memory, symbolizer))
                                for cpu, registers in cpu_registers(text).items()})
            for cpu in sorted(samples[0]):
                out += most_seen(cpu, [sample[cpu] for sample in samples if cpu in sample])
            if kernel_elf:
                try:
                    tail = kernel_log_tail(memory, KernelElf(kernel_elf))
                    out.append(f"the kernel's in-memory log, last {len(tail)} lines:")
                    out += [f"  {line}" for line in tail]
                except (RuntimeError, KeyError) as error:
                    out.append(f"(the kernel's in-memory log could not be read: {error})")
    except (RuntimeError, OSError) as error:
        out.append(f"(QEMU's state could not be read: {error})")
    finally:
        qmp.close()
    return out


def state_key(registers):
    flags = registers.get("RFL", registers.get("EFL", 0))
    return (bool(flags & RFLAGS_IF), bool(registers.get("HLT")))


def most_seen(cpu, seen):
    """The lines of the sample whose state (IF, hlt) came up most often."""
    keys = [key for key, _ in seen]
    best = max(keys, key=keys.count)
    lines = next(lines for key, lines in seen if key == best)
    return [lines[0] + f"  [as in {keys.count(best)} of {len(keys)} samples]", *lines[1:]]


def describe_cpu(cpu, registers, memory, symbolizer):
    flags = registers.get("RFL", registers.get("EFL", 0))
    halted = bool(registers.get("HLT"))
    state = ", halted (hlt)" if halted else ""
    second = f"  interrupts {'on' if flags & RFLAGS_IF else 'off'} (RFLAGS {flags:#x}){state}"
    if not registers.get("CR0", 0) & CR0_PE:
        # Real mode (an AP waiting for its start-up IPI, say): CS:IP.
        return [f"CPU {cpu}: CS:IP (real mode) {registers.get('CS', 0):04x}:{registers.get('EIP', 0):04x}",
                second, "  (no backtrace: real mode)"]
    long_mode = "RIP" in registers
    rip = registers.get("RIP", registers.get("EIP", 0))
    # After hlt, RIP is past it: the line is the hlt's.
    lookup = rip - 1 if halted else rip
    lines = [f"CPU {cpu}: {'RIP' if long_mode else 'EIP (32-bit)'} {describe(symbolizer, rip, lookup)}", second]
    if not long_mode or symbolizer is None or rip < KERNEL_SPACE:
        lines.append("  (no backtrace: not in the kernel's 64-bit code)")
        return lines
    first = unframed_return_address(memory, cpu, rip, registers.get("RSP", 0))
    frames = ([first] if first is not None and symbolizer.is_code(first) else [])
    frames += walk_frames(memory, cpu, registers.get("RBP", 0), symbolizer.is_code)
    for index, address in enumerate(frames, 1):
        lines.append(f"  #{index} {describe(symbolizer, address, address - 1)}")
    if not frames:
        lines.append("  (no caller found from RBP)")
    return lines
