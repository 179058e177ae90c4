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
import uuid
from dataclasses import dataclass, field
from pathlib import Path

DUMPS_VARIABLE = "RAYOS_COVERAGE_DUMPS"
DUMP_FILE = "coverage.bin"
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


def qemu_arguments(workdir):
    """The debug console for a boot's dump (none unless coverage is collected)."""
    if dumps_folder() is None:
        return []
    return ["-chardev", f"file,id=coverage,path={Path(workdir) / DUMP_FILE}",
            "-device", "isa-debugcon,iobase=0xe9,chardev=coverage"]


def collect(workdir):
    """Moves a finished boot's dump into the dumps folder (QEMU has ended)."""
    folder = dumps_folder()
    dump = Path(workdir) / DUMP_FILE
    if folder is None or not dump.is_file():
        return
    if dump.stat().st_size == 0:  # ended without an orderly exit: nothing was written
        dump.unlink()
        return
    folder.mkdir(parents=True, exist_ok=True)
    os.replace(dump, folder / f"{uuid.uuid4().hex}.bin")


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
    dumps = []
    for path in paths:
        try:
            dumps.append(parse_dump(path.read_bytes()))
        except DumpError as error:
            raise DumpError(f"{path}: {error}") from None
    merged, runs = merge(dumps)
    for unit in merged.values():
        Path(unit.filename).write_bytes(gcda_bytes(unit, runs))
    return runs, len(merged)


def main(arguments):
    if len(arguments) != 2 or arguments[0] != "write-gcda":
        print("usage: python3 -m harness.coverage write-gcda DUMPS_FOLDER", file=sys.stderr)
        return 2
    try:
        runs, units = write_gcda(arguments[1])
    except DumpError as error:
        print(f"coverage: {error}", file=sys.stderr)
        return 1
    print(f"coverage: {runs} boot dumps added up into {units} .gcda files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
