"""Decorates a boot's log with source lines, as Linux's decode_stacktrace.sh
does: every kernel code address the log mentions (a fault's RIP, each
backtrace frame, the site a panic names) gets its function's file:line from
the kernel ELF's DWARF (binutils' addr2line -i), and the functions inlined at
that point, innermost first. The one place the harness and ci/boot.sh turn
addresses into lines.

A backtrace frame other than a fault's own RIP is a return address: it is
looked up one byte earlier, so the line is the call, not the line after it.

As a command, it filters a log from stdin to stdout line by line:
    python3 -m harness.symbolize build/rayos.elf < serial.log
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from elftools.elf.constants import SH_FLAGS

from .elf import KernelElf, once_per_build

# A 64-bit address as the kernel prints it: 0x and 16 hex digits.
ADDRESS = re.compile(r"0x([0-9a-f]{16})\b")
# "#3 0x..." of a backtrace: a return address, unless it is a fault's RIP.
FRAME = re.compile(r"#\d+ 0x([0-9a-f]{16})\b")
# The first line of a breakpoint's report (src/arch/x86_64/exceptions.cpp).
BREAKPOINT_REPORT = re.compile(r"#BP Breakpoint \(vector 3\)")
# "RIP 0x..." of a fault report: the faulting instruction itself.
FAULT_RIP = re.compile(r"\bRIP 0x([0-9a-f]{16})\b")
# A register of a fault report's dump (RAX 0x..., CR3 0x...): a value, not
# a place in the code, even when it looks like one.
REGISTER_BEFORE = re.compile(r"\b(?!RIP\b)[A-Z][A-Z0-9]{1,5}\s+$")
# Lines of reports (and untagged ones: KTAP diagnostics); the boot's own
# [MEM] or [BOOT] lines name addresses that are bounds, not code.
REPORT_TAGS = ("[FAULT]", "[PANIC]", "[LOCKDEP]")
INDENT = "    "


class Symbolizer:
    """Source locations for the code addresses of one kernel ELF."""

    def __init__(self, elf_path):
        self.elf_path = Path(elf_path)
        elf = KernelElf(self.elf_path)
        self.code = [(section["sh_addr"], section["sh_addr"] + section["sh_size"])
                     for section in elf.iter_sections()
                     if section["sh_flags"] & SH_FLAGS.SHF_EXECINSTR and section["sh_size"]]
        # Source paths as the compiler saw them (build/../src/x.cpp) are
        # shown relative to the repository: the ELF's folder's parent.
        self.root = self.elf_path.resolve().parent.parent
        self._cache = {}
        # A #BP report's RIP is past the int3 (a trap): its line is the
        # int3's, one byte back, as the kernel itself looks it up.
        self._trap_rip_next = False

    def is_code(self, address):
        return any(start <= address < end for start, end in self.code)

    def locate(self, addresses):
        """{address: [(function, "file:line"), ...]}, innermost first, for
        each code address (looked up as given)."""
        wanted = sorted({address for address in addresses if self.is_code(address)} - self._cache.keys())
        if wanted:
            done = subprocess.run(["addr2line", "-e", str(self.elf_path), "-f", "-i", "-C", "-a",
                                   *(f"{address:#x}" for address in wanted)],
                                  capture_output=True, text=True, check=True, timeout=60)
            self._cache.update(self._parse(done.stdout))
        return {address: self._cache[address] for address in addresses if address in self._cache}

    def _parse(self, output):
        located, current = {}, None
        lines = output.splitlines()
        index = 0
        while index < len(lines):
            line = lines[index]
            if line.startswith("0x"):
                current = int(line, 16)
                located[current] = []
                index += 1
                continue
            function = line
            place = lines[index + 1] if index + 1 < len(lines) else "??:0"
            located[current].append((function, self._relative(place)))
            index += 2
        return located

    def _relative(self, place):
        path, _, line = place.rpartition(":")
        line = line.split(" ", 1)[0]     # "12 (discriminator 3)"
        if path in ("", "??"):
            return "??"
        path = os.path.normpath(path)
        try:
            path = os.path.relpath(path, self.root) if os.path.isabs(path) else path
        except ValueError:
            pass
        return f"{path}:{line}"

    def decorate(self, lines):
        """The lines, each followed by the source of the code addresses it
        holds (one addr2line run for the whole log)."""
        lines = list(lines)
        self._trap_rip_next = False     # a log of its own: nothing carried from another
        fault_rips = {int(match.group(1), 16) for line in lines for match in FAULT_RIP.finditer(line)}
        self.locate([lookup for line in lines for _, lookup in self._lookups(line, fault_rips)])
        decorated = []
        for line in lines:
            decorated += self.decorate_one(line, fault_rips)
        return decorated

    def decorate_one(self, line, fault_rips):
        """line, then an indented line per code address in it: "at
        file:line", and "by function at file:line" per function it is
        inlined into. fault_rips: the RIPs of the fault reports seen (a
        frame at one of them is the faulting instruction, not a return)."""
        lookups = self._lookups(line, fault_rips)
        if BREAKPOINT_REPORT.search(line):
            self._trap_rip_next = True
        elif self._trap_rip_next and FAULT_RIP.search(line):
            self._trap_rip_next = False
            lookups = [(address, lookup - 1) for address, lookup in lookups]
        located = self.locate([lookup for _, lookup in lookups])
        out = [line]
        for address, lookup in lookups:
            frames = located.get(lookup)
            if not frames:
                continue
            which = f"{address:#x} " if len(lookups) > 1 else ""
            (function, place), *callers = frames
            inlined = f" ({function}, inlined)" if callers else ""
            out.append(f"{INDENT}{INDENT}{which}at {place}{inlined}")
            for index, (caller, caller_place) in enumerate(callers):
                also_inlined = " (inlined)" if index + 1 < len(callers) else ""
                out.append(f"{INDENT}{INDENT}{INDENT}by {caller} at {caller_place}{also_inlined}")
        return out

    def _lookups(self, line, fault_rips):
        """(address, address to look up) for each code address in line."""
        if line.startswith("[") and not line.startswith(REPORT_TAGS):
            return []
        frames = {int(match.group(1), 16) for match in FRAME.finditer(line)}
        found = []
        for match in ADDRESS.finditer(line):
            address = int(match.group(1), 16)
            if not self.is_code(address) or REGISTER_BEFORE.search(line, 0, match.start()):
                continue
            is_return_address = address in frames and address not in fault_rips
            found.append((address, address - 1 if is_return_address else address))
        return found


@once_per_build
def symbolizer_for(elf_path):
    """The Symbolizer of an ELF, one (and its cache) per build of it: the
    reports, the hang and the reset forensics share it."""
    return Symbolizer(elf_path)


def decorate_lines(elf_path, lines):
    """lines decorated from elf_path's DWARF, or as they are when the ELF or
    addr2line is missing (a note says why)."""
    try:
        return symbolizer_for(elf_path).decorate(lines)
    except (OSError, subprocess.SubprocessError) as error:
        return list(lines) + [f"(no source lines: {error})"]


class StreamDecorator:
    """Passes a log through as it comes, byte for byte (a console prompt
    shows before its line ends), and after each complete line writes the
    source lines of the code addresses it held."""

    def __init__(self, symbolizer, out):
        self.symbolizer, self.out = symbolizer, out
        self.pending = b""
        self.fault_rips = set()

    def feed(self, data):
        while data:
            end = data.find(b"\n")
            if end < 0:
                self.out.write(data)
                self.pending += data
                break
            self.out.write(data[:end + 1])
            raw, self.pending, data = self.pending + data[:end], b"", data[end + 1:]
            ending = b"\r\n" if raw.endswith(b"\r") else b"\n"
            line = raw.decode("utf-8", errors="replace").rstrip("\r")
            self.fault_rips |= {int(match.group(1), 16) for match in FAULT_RIP.finditer(line)}
            for note in self.symbolizer.decorate_one(line, self.fault_rips)[1:]:
                self.out.write(note.encode() + ending)
        self.out.flush()


def decorate_stream(elf_path, source, out):
    """Copies the file descriptor source to the binary stream out until its
    end, decorated."""
    decorator = StreamDecorator(Symbolizer(elf_path), out)
    while data := os.read(source, 4096):
        decorator.feed(data)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python3 -m harness.symbolize KERNEL_ELF < LOG")
    decorate_stream(sys.argv[1], sys.stdin.fileno(), sys.stdout.buffer)


if __name__ == "__main__":
    main()
