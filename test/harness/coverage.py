"""The kernel's code coverage, from boot to .gcda files.

A kernel built with -Dkernel_coverage=true (src/kernel/coverage_runtime.cpp)
writes its arc counters to QEMU's debug console port as it exits. With
RAYOS_COVERAGE_DUMPS set to a folder, every boot the harness starts gets a
debug console whose output is a file of its own, and after the boot the file
is moved into that folder (one per boot: pytest's workers never write the
same file). `python3 -m harness.coverage write-gcda FOLDER` adds the counts
of all the dumps up and writes each unit's .gcda beside its .gcno, where
gcov and gcovr look for it (ci/coverage.sh).

The stream (coverage_runtime.cpp: write_units) and the .gcda records
(GCC 12's gcc/gcov-io.h; lengths in bytes, 64-bit counters as two words,
low first) are little-endian 32-bit words."""

import os
import struct
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from elftools.elf.constants import P_FLAGS

from .elf import KernelElf, load_segments
from .qmp import QmpClient

DUMPS_VARIABLE = "RAYOS_COVERAGE_DUMPS"
DUMP_FILE = "coverage.bin"
ELF_NOTE = "coverage-kernel.txt"  # the ELF a boot runs, for a snapshot of its counters
# src/kernel/coverage_runtime.cpp's registry of units.
UNITS_SYMBOL = "_ZN12_GLOBAL__N_17g_unitsE"
UNIT_COUNT_SYMBOL = "_ZN12_GLOBAL__N_112g_unit_countE"
UNITS_DROPPED_SYMBOL = "_ZN12_GLOBAL__N_115g_units_droppedE"
MAX_UNITS = 1024  # kMaxUnits
LOST_SUFFIX = ".lost"  # a note in the dumps folder: a boot whose counters could not be read
STREAM_MAGIC = b"RAYGCOV1"
STREAM_END = b"RAYGEND1"

GCDA_MAGIC = 0x67636461  # "gcda"
TAG_FUNCTION = 0x01000000
TAG_ARC_COUNTERS = 0x01A10000  # GCOV_TAG_COUNTER_BASE; kind k is + (k << 17)
TAG_OBJECT_SUMMARY = 0xA1000000
ARC_COUNTERS_ONLY = 1  # merge_mask: -fprofile-arcs counts arcs, nothing else


class DumpError(ValueError):
    """A dump that cannot be trusted: cut short, from another compiler, or
    with units the kernel could not register."""


@dataclass
class Function:
    owned: bool  # False: a COMDAT function whose record another unit owns
    ident: int = 0
    lineno_checksum: int = 0
    cfg_checksum: int = 0
    arcs: list = field(default_factory=list)


@dataclass
class Unit:
    filename: str  # the .gcda path GCC chose: beside the object's .gcno
    version: int
    stamp: int
    checksum: int
    functions: list


def dumps_folder():
    """The folder boots leave their dumps in, or None when coverage is not being collected."""
    folder = os.environ.get(DUMPS_VARIABLE)
    return Path(folder) if folder else None


def qemu_arguments(workdir, kernel_elf):
    """The debug console for a boot's dump (none unless coverage is
    collected), and a note of the ELF booted for a snapshot (snapshot())."""
    if dumps_folder() is None:
        return []
    if kernel_elf is not None:
        (Path(workdir) / ELF_NOTE).write_text(str(kernel_elf))
    return ["-chardev", f"file,id=coverage,path={Path(workdir) / DUMP_FILE}",
            "-device", "isa-debugcon,iobase=0xe9,chardev=coverage"]


def collect(workdir, snapshot_taken=False):
    """Moves a finished boot's dump into the dumps folder (QEMU has ended).
    After a snapshot the kernel's own dump, if it had begun one, was cut
    short by the harness and is dropped: the snapshot read the counters."""
    folder = dumps_folder()
    dump = Path(workdir) / DUMP_FILE
    if folder is None or not dump.is_file():
        return
    if snapshot_taken or dump.stat().st_size == 0:  # nothing, or nothing more, to count
        dump.unlink()
        return
    folder.mkdir(parents=True, exist_ok=True)
    os.replace(dump, folder / f"{uuid.uuid4().hex}.bin")


class _ImageMemory:
    """The kernel's memory as a stopped QEMU holds it: its writable segments
    read with QMP's pmemsave (physical addresses), the rest (code, strings)
    from the ELF file, which the kernel never changes."""

    def __init__(self, qmp, elf, folder):
        self.parts = []
        for segment in load_segments(elf):
            start, size = segment["p_vaddr"], segment["p_memsz"]
            if segment["p_flags"] & P_FLAGS.PF_W:
                path = Path(folder) / f"segment-{start:x}.bin"
                qmp.execute("pmemsave", val=segment["p_paddr"], size=size, filename=str(path))
                data = path.read_bytes()
            else:
                data = segment.data().ljust(size, b"\0")
            self.parts.append((start, data))

    def read(self, address, size):
        for start, data in self.parts:
            if start <= address and address + size <= start + len(data):
                return data[address - start:address - start + size]
        raise DumpError(f"{size} bytes at {address:#x} are outside the kernel image")

    def word(self, address):
        return struct.unpack("<I", self.read(address, 4))[0]

    def pointer(self, address):
        return struct.unpack("<Q", self.read(address, 8))[0]

    def string(self, address):
        text = bytearray()
        while not text.endswith(b"\0"):
            text += self.read(address + len(text), 1)
        return bytes(text[:-1]).decode()


def _units_in(memory, elf):
    """The units registered with __gcov_init, read as the runtime's dump
    reads them (coverage_runtime.cpp: GcovInfo, GcovFunction)."""
    count = memory.pointer(elf.symbol_address(UNIT_COUNT_SYMBOL))
    dropped = memory.pointer(elf.symbol_address(UNITS_DROPPED_SYMBOL))
    if count > MAX_UNITS or dropped > MAX_UNITS:
        # The image's .bss before the kernel ran: still the firmware's or
        # the loader's memory (a boot stopped in GRUB, or paused at entry).
        return []
    if dropped:
        raise DumpError(f"the kernel registered {count} units and had no room for {dropped} more")
    table = elf.symbol_address(UNITS_SYMBOL)
    units = []
    for index in range(count):
        info = memory.pointer(table + 8 * index)
        version, stamp, checksum = memory.word(info), memory.word(info + 16), memory.word(info + 20)
        merges = [memory.pointer(info + 32 + 8 * kind) for kind in range(8)]
        if [bool(merge) for merge in merges] != [True] + [False] * 7:
            raise DumpError("only arc counters (-fprofile-arcs) are understood")
        functions_table, functions = memory.pointer(info + 104), []
        for f in range(memory.word(info + 96)):
            function = memory.pointer(functions_table + 8 * f)
            if function == 0 or memory.pointer(function) != info:
                functions.append(Function(owned=False))
                continue
            arcs_count, values = memory.word(function + 24), memory.pointer(function + 32)
            arcs = list(struct.unpack(f"<{arcs_count}q", memory.read(values, 8 * arcs_count)))
            functions.append(Function(True, memory.word(function + 8), memory.word(function + 12),
                                      memory.word(function + 16), arcs))
        units.append(Unit(memory.string(memory.pointer(info + 24)), version, stamp, checksum, functions))
    return units


def snapshot(workdir, qmp_socket):
    """For a boot the harness ends itself (QEMU still running): stops the
    machine, reads the counters out of its memory and files them as a dump
    of their own. Nothing when coverage is not collected, when the boot is
    not RayOS, or before the kernel registered any unit. Returns whether it
    read the kernel's counters (collect() then drops a dump cut short)."""
    folder, note = dumps_folder(), Path(workdir) / ELF_NOTE
    if folder is None or not note.is_file():
        return False
    elf = KernelElf(note.read_text())
    try:
        qmp = QmpClient(qmp_socket, timeout=5.0)
    except OSError:
        return False  # QEMU is not answering: the boot's counters are lost
    folder.mkdir(parents=True, exist_ok=True)
    try:
        qmp.execute("stop")  # every CPU, so no counter moves while they are read
        with tempfile.TemporaryDirectory(prefix="rayos-coverage-") as scratch:
            units = _units_in(_ImageMemory(qmp, elf, scratch), elf)
    except (DumpError, RuntimeError, OSError, struct.error, UnicodeDecodeError) as error:
        (folder / f"{uuid.uuid4().hex}{LOST_SUFFIX}").write_text(f"snapshot of {workdir}: {error}\n")
        return False
    finally:
        qmp.close()
    if units:
        (folder / f"{uuid.uuid4().hex}.bin").write_bytes(dump_bytes(units))
    return True


def dump_bytes(units):
    """units as the kernel's runtime writes them (the stream parse_dump reads)."""
    out = bytearray(STREAM_MAGIC + struct.pack("<II", len(units), 0))
    for unit in units:
        name = unit.filename.encode()
        out += struct.pack("<IIIII", unit.version, unit.stamp, unit.checksum, ARC_COUNTERS_ONLY, len(name))
        out += name + struct.pack("<I", len(unit.functions))
        for function in unit.functions:
            if not function.owned:
                out += struct.pack("<I", 0)
                continue
            out += struct.pack("<IIIII", 1, function.ident, function.lineno_checksum, function.cfg_checksum,
                               len(function.arcs))
            out += struct.pack(f"<{len(function.arcs)}q", *function.arcs)
    out += STREAM_END
    return bytes(out + struct.pack("<Q", len(out) + 8))


class _Reader:
    def __init__(self, data):
        self.data, self.offset = data, 0

    def take(self, count):
        if self.offset + count > len(self.data):
            raise DumpError(f"the dump ends at byte {len(self.data)}, inside a record at {self.offset}")
        chunk = self.data[self.offset:self.offset + count]
        self.offset += count
        return chunk

    def word(self):
        return struct.unpack("<I", self.take(4))[0]

    def counters(self, count):
        return list(struct.unpack(f"<{count}q", self.take(8 * count)))


def parse_dump(data):
    """The units of one dump (bytes). Text the kernel wrote to the port
    before the dump is skipped; a dump cut short or out of step is refused."""
    start = data.find(STREAM_MAGIC)
    if start < 0:
        raise DumpError("no coverage dump in the file (no RAYGCOV1)")
    reader = _Reader(data)
    reader.offset = start + len(STREAM_MAGIC)
    unit_count, dropped = reader.word(), reader.word()
    if dropped:
        raise DumpError(f"the kernel registered {unit_count} units and had no room for {dropped} more")
    units = []
    for _ in range(unit_count):
        version, stamp, checksum, mask = reader.word(), reader.word(), reader.word(), reader.word()
        if mask != ARC_COUNTERS_ONLY:
            raise DumpError(f"counter kinds {mask:#x}: only arc counters (-fprofile-arcs) are understood")
        filename = reader.take(reader.word()).decode()
        functions = []
        for _ in range(reader.word()):
            if not reader.word():
                functions.append(Function(owned=False))
                continue
            ident, lineno_checksum, cfg_checksum = reader.word(), reader.word(), reader.word()
            functions.append(Function(True, ident, lineno_checksum, cfg_checksum, reader.counters(reader.word())))
        units.append(Unit(filename, version, stamp, checksum, functions))
    if reader.take(len(STREAM_END)) != STREAM_END:
        raise DumpError("the dump has no end marker where its units end")
    (length,) = struct.unpack("<Q", reader.take(8))
    if length != reader.offset - start:
        raise DumpError(f"the dump says it is {length} bytes long, {reader.offset - start} were read")
    return units


def merge(dumps):
    """Adds the counters of several dumps (lists of Units) up, per unit.
    Returns ({filename: Unit}, runs). Units of one name must come from one
    compilation (same stamp and shape): a dump from an older build is
    refused, not added in."""
    merged, runs = {}, 0
    for units in dumps:
        runs += 1
        for unit in units:
            total = merged.get(unit.filename)
            if total is None:
                merged[unit.filename] = Unit(unit.filename, unit.version, unit.stamp, unit.checksum,
                                             [Function(f.owned, f.ident, f.lineno_checksum, f.cfg_checksum,
                                                       list(f.arcs)) for f in unit.functions])
                continue
            shape = [(f.owned, f.ident, f.cfg_checksum, len(f.arcs)) for f in unit.functions]
            if (unit.stamp, unit.version) != (total.stamp, total.version) or shape != [
                    (f.owned, f.ident, f.cfg_checksum, len(f.arcs)) for f in total.functions]:
                raise DumpError(f"{unit.filename}: dumps from different builds (stamps {total.stamp:#x} "
                                f"and {unit.stamp:#x})")
            for into, function in zip(total.functions, unit.functions):
                into.arcs = [a + b for a, b in zip(into.arcs, function.arcs)]
    return merged, runs


def gcda_bytes(unit, runs):
    """The .gcda libgcov would write for unit after `runs` runs."""
    words = [GCDA_MAGIC, unit.version, unit.stamp, unit.checksum, TAG_OBJECT_SUMMARY, 8, runs, 0]
    for function in unit.functions:
        if not function.owned:
            words += [TAG_FUNCTION, 0]
            continue
        words += [TAG_FUNCTION, 12, function.ident, function.lineno_checksum, function.cfg_checksum]
        words += [TAG_ARC_COUNTERS, 8 * len(function.arcs)]
        for count in function.arcs:
            words += [count & 0xFFFFFFFF, (count >> 32) & 0xFFFFFFFF]
    words.append(0)
    return struct.pack(f"<{len(words)}I", *words)


def write_gcda(folder):
    """Reads every dump in folder and writes the .gcda files; returns
    (dumps read, units written)."""
    paths = sorted(Path(folder).glob("*.bin"))
    if not paths:
        raise DumpError(f"no dumps in {folder}: was the suite run with {DUMPS_VARIABLE} set?")
    dumps, lost = [], []
    for path in paths:
        try:
            dumps.append(parse_dump(path.read_bytes()))
        except DumpError as error:
            # Killed in the middle of its dump (a test that ends a boot as it
            # exits): the boot's counters are lost, not counted wrong.
            lost.append(f"{path.name}: {error}")
    lost += [path.read_text().strip() for path in sorted(Path(folder).glob(f"*{LOST_SUFFIX}"))]
    merged, runs = merge(dumps)
    for unit in merged.values():
        Path(unit.filename).write_bytes(gcda_bytes(unit, runs))
    return runs, len(merged), lost


def main(arguments):
    if len(arguments) != 2 or arguments[0] != "write-gcda":
        print("usage: python3 -m harness.coverage write-gcda DUMPS_FOLDER", file=sys.stderr)
        return 2
    try:
        runs, units, lost = write_gcda(arguments[1])
    except DumpError as error:
        print(f"coverage: {error}", file=sys.stderr)
        return 1
    print(f"coverage: {runs} boot dumps added up into {units} .gcda files")
    if lost:
        print(f"coverage: {len(lost)} dumps unreadable, their boots not counted:", *lost, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
