"""Why a boot ended in a triple fault or a reset, from QEMU's own log of a
rerun under `-d int,cpu_reset`: the chain of exceptions that led to it
(`#UD at RIP f (file:line) -> #GP (error 0x32) -> #DF -> triple fault`),
with the register state QEMU logged at the chain's first exception. Timer
and device interrupts (vectors 32 and up) are left out."""

import re

from .symbolize import symbolizer_for

# QEMU's x86 interrupt log line (target/i386/tcg/seg_helper.c):
#     "  N: v=0e e=0002 i=0 cpl=0 IP=0008:ffffffff80100000 pc=... SP=0010:... CR2=..."
ENTRY = re.compile(r"^\s*\d+: v=([0-9a-f]{2}) e=([0-9a-f]{4}) i=(\d) cpl=(\d) IP=([0-9a-f]{4}):([0-9a-f]+) "
                   r"pc=[0-9a-f]+ SP=[0-9a-f]{4}:([0-9a-f]+)(?: CR2=([0-9a-f]+))?")
CHECK = re.compile(r"^check_exception old: (0x[0-9a-f]+) new (0x[0-9a-f]+)")
FIRST_EXCEPTION = 0xFFFFFFFF   # check_exception's "old" when no exception was being delivered
FIRST_IRQ_VECTOR = 0x20
# Intel SDM Vol. 3A, Table 6-1.
MNEMONICS = {0: "#DE", 1: "#DB", 2: "NMI", 3: "#BP", 4: "#OF", 5: "#BR", 6: "#UD", 7: "#NM", 8: "#DF",
             10: "#TS", 11: "#NP", 12: "#SS", 13: "#GP", 14: "#PF", 16: "#MF", 17: "#AC", 18: "#MC",
             19: "#XM", 20: "#VE", 21: "#CP"}
# Exceptions that push an error code (the log shows e=0000 for the others).
WITH_ERROR_CODE = {8, 10, 11, 12, 13, 14, 17, 21}


class Exception_:
    def __init__(self, match, started_chain, registers):
        self.vector = int(match.group(1), 16)
        self.error = int(match.group(2), 16)
        self.software = match.group(3) == "1"
        self.ip = int(match.group(6), 16)
        self.cr2 = int(match.group(8), 16) if match.group(8) else None
        self.started_chain = started_chain
        self.registers = registers

    @property
    def mnemonic(self):
        return MNEMONICS.get(self.vector, f"vector {self.vector}")


def parse(qemu_log):
    """(exceptions in order, how the log ends: "triple fault", "reset" or None)."""
    lines = qemu_log.splitlines()
    exceptions, ending, pending_check = [], None, None
    index = 0
    while index < len(lines):
        line = lines[index]
        check = CHECK.match(line)
        if check:
            pending_check = int(check.group(1), 16)
        elif line.startswith("Triple fault"):
            ending = "triple fault"
            break
        elif line.startswith("CPU Reset") and exceptions:
            ending = "reset"
        else:
            entry = ENTRY.match(line)
            if entry and int(entry.group(1), 16) < FIRST_IRQ_VECTOR:
                registers = []
                while index + 1 < len(lines) and re.match(r"^[A-Z][A-Z0-9 ]{1,3}=", lines[index + 1]):
                    index += 1
                    registers.append(lines[index])
                started = pending_check is None or pending_check == FIRST_EXCEPTION
                exceptions.append(Exception_(entry, started, registers))
                pending_check = None
        index += 1
    return exceptions, ending


def chain(exceptions):
    """The exceptions that led to the end: back from the last one to the one
    that started its chain, then to each just before it at the same IP
    (whose delivery raised it: an int3 or a #UD that found no gate; QEMU
    logs the #GP that follows as a first exception)."""
    if not exceptions:
        return []
    start = len(exceptions) - 1
    while start > 0 and not exceptions[start].started_chain:
        start -= 1
    while start > 0 and exceptions[start - 1].ip == exceptions[start].ip:
        start -= 1
    return exceptions[start:]


def explain(qemu_log, kernel_elf=None):
    """Report lines: the chain, then the registers at its first exception."""
    exceptions, ending = parse(qemu_log)
    if ending != "triple fault":
        return ["QEMU logged no triple fault: the reset was asked for (the keyboard controller, the ACPI "
                "reset register...), not caused by a fault"]
    links = chain(exceptions)
    if not links:
        return ["a triple fault with no exception logged before it"]
    symbolizer = symbolizer_for(kernel_elf) if kernel_elf else None
    # A link at the IP of the one before it is not symbolized again.
    parts = [describe(link, symbolizer if index == 0 or link.ip != links[index - 1].ip else None)
             for index, link in enumerate(links)]
    lines = [" -> ".join(parts + [ending or "(the log ends)"])]
    lines.append(f"registers at the {links[0].mnemonic}, as QEMU logged them:")
    lines += [f"  {line}" for line in links[0].registers]
    return lines


def describe(link, symbolizer):
    text = link.mnemonic + (" (int3)" if link.software and link.vector == 3 else "")
    if link.vector in WITH_ERROR_CODE:
        text += f" (error {link.error:#06x})"
    text += f" at {link.ip:#x}"
    if symbolizer is not None and symbolizer.is_code(link.ip):
        frames = symbolizer.locate([link.ip]).get(link.ip)
        if frames:
            # The innermost function and its line (an inlined one says so).
            (function, place), *callers = frames
            inlined = f", inlined into {callers[-1][0]}" if callers else ""
            text += f" {function} ({place}{inlined})"
    if link.cr2 is not None and link.vector == 14:
        text += f" CR2 {link.cr2:#x}"
    return text
