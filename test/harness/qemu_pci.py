"""QEMU's own view of the PCI functions it emulates, and the kernel's [PCI]
listing, both as the same records so a test can compare them field by
field.

QEMU's side is the monitor's `info pci` (asked over QMP): a block a
function, "Bus  0, device   3, function 0:", then its class and IDs, "PCI
subsystem", "IRQ 11, pin A", a line a BAR ("BAR1: I/O at 0xc000 [0xc03f].",
"BAR0: 32 bit memory at 0xfebc0000 [0xfebdffff].") and its qdev id
(test/test_pci.py holds a whole captured example). BAR6 is the expansion
ROM; an address of all ones is a BAR QEMU does not
map now: unassigned, its decoding off, or a ROM not enabled; the size is
then the bracket's end plus one, modulo 2^64. A bridge adds its bus
numbers and windows. `info pci` names the class, so its numbers come from
QMP's query-pci (class and subclass); on q35 the programming interface and
revision are read from QEMU's ECAM region with the monitor's `xp`."""

import re
from dataclasses import dataclass, field

UNMAPPED = 0xFFFFFFFFFFFFFFFF
ROM_SLOT = 6
ECAM_BUS_SHIFT, ECAM_DEVICE_SHIFT, ECAM_FUNCTION_SHIFT = 20, 15, 12


@dataclass(frozen=True)
class Bar:
    slot: int                    # 0-5, or ROM_SLOT
    space: str                   # "io", "mem32", "mem64"
    prefetchable: bool
    address: int | None          # None: not answered now (QEMU: all ones)
    size: int


@dataclass(frozen=True)
class Window:
    base: int
    limit: int

    @property
    def open(self):
        return self.base <= self.limit


@dataclass(frozen=True)
class Bridge:
    primary: int
    secondary: int
    subordinate: int
    io: Window | None = None     # None where the side says nothing (a CardBus bridge)
    memory: Window | None = None
    prefetchable: Window | None = None


@dataclass
class Function:
    bus: int
    device: int
    function: int
    vendor: int
    device_id: int
    subsystem: tuple | None = None       # (vendor, device)
    irq: tuple | None = None             # (line, pin letter)
    bars: dict = field(default_factory=dict)   # slot -> Bar
    bridge: Bridge | None = None
    class_name: str = ""                 # QEMU's description, or the kernel's name
    class_code: tuple | None = None      # (class, subclass, programming interface or None)
    revision: int | None = None
    capabilities: list = field(default_factory=list)           # offsets, in list order
    extended_capabilities: list = field(default_factory=list)
    qdev_id: str = ""                    # QEMU's -device id=

    @property
    def address(self):
        return (self.bus, self.device, self.function)

    def __str__(self):
        return f"{self.bus:02x}:{self.device:02x}.{self.function:x} {self.vendor:04x}:{self.device_id:04x}"


# --- QEMU's `info pci` ---------------------------------------------------

HEADER = re.compile(r"^\s*Bus\s+(\d+), device\s+(\d+), function (\d+):$")
IDENTITY = re.compile(r"^\s*(.+): PCI device ([0-9a-f]{4}):([0-9a-f]{4})$")
SUBSYSTEM = re.compile(r"^\s*PCI subsystem ([0-9a-f]{4}):([0-9a-f]{4})$")
IRQ = re.compile(r"^\s*IRQ (\d+), pin ([A-D])$")
BAR = re.compile(r"^\s*BAR(\d): (?:(I/O)|(32|64) bit( prefetchable)? memory) at (0x[0-9a-f]+) \[(0x[0-9a-f]+)\]\.$")
BRIDGE_NUMBER = re.compile(r"^\s*(BUS|secondary bus|subordinate bus) (\d+)\.$")
RANGE = re.compile(r"^\s*(IO|memory|prefetchable memory) range \[(0x[0-9a-f]+), (0x[0-9a-f]+)\]$")
QDEV_ID = re.compile(r'^\s*id "(.*)"$')


def parse_info_pci(text):
    """Every function `info pci` lists, in its order."""
    functions, current, numbers, ranges = [], None, {}, {}

    def finish():
        if current is not None and numbers:
            current.bridge = Bridge(numbers["BUS"], numbers["secondary bus"], numbers["subordinate bus"],
                                    ranges.get("IO"), ranges.get("memory"), ranges.get("prefetchable memory"))

    for line in text.splitlines():
        if not line.strip():
            continue
        if header := HEADER.match(line):
            finish()
            current, numbers, ranges = Function(*map(int, header.groups()), vendor=0, device_id=0), {}, {}
            functions.append(current)
        elif current is None:
            raise ValueError(f"`info pci` line before any function: {line!r}")
        elif identity := IDENTITY.match(line):
            current.class_name = identity.group(1)
            current.vendor, current.device_id = int(identity.group(2), 16), int(identity.group(3), 16)
        elif subsystem := SUBSYSTEM.match(line):
            current.subsystem = (int(subsystem.group(1), 16), int(subsystem.group(2), 16))
        elif irq := IRQ.match(line):
            current.irq = (int(irq.group(1)), irq.group(2))
        elif bar := BAR.match(line):
            slot, io, width, prefetchable, start, end = bar.groups()
            start, end = int(start, 16), int(end, 16)
            current.bars[int(slot)] = Bar(int(slot), "io" if io else f"mem{width}", prefetchable is not None,
                                          None if start == UNMAPPED else start, (end - start + 1) % 2**64)
        elif number := BRIDGE_NUMBER.match(line):
            numbers[number.group(1)] = int(number.group(2))
        elif window := RANGE.match(line):
            ranges[window.group(1)] = Window(int(window.group(2), 16), int(window.group(3), 16))
        elif qdev_id := QDEV_ID.match(line):
            current.qdev_id = qdev_id.group(1)
        else:
            raise ValueError(f"unexpected `info pci` line: {line!r}")
    finish()
    return functions


def query_classes(qmp):
    """(bus, device, function) -> (class, subclass), from QMP's query-pci,
    behind bridges too."""
    classes = {}

    def walk(devices):
        for device in devices:
            code = device["class_info"]["class"]
            classes[(device["bus"], device["slot"], device["function"])] = (code >> 8, code & 0xFF)
            walk(device.get("pci_bridge", {}).get("devices", []))

    for bus in qmp.execute("query-pci"):
        walk(bus["devices"])
    return classes


def ecam_region(tree):
    """(start, end) of q35's MMCONFIG region in `info mtree`, or None."""
    found = re.search(r"([0-9a-f]+)-([0-9a-f]+) \(prio -?\d+, i/o\): pcie-mmcfg-mmio\s*$", tree, re.MULTILINE)
    return (int(found.group(1), 16), int(found.group(2), 16)) if found else None


def read_dwords(qmp, physical, count):
    """count dwords of guest physical memory, read by the monitor's xp."""
    text = qmp.execute("human-monitor-command", **{"command-line": f"xp /{count}xw {physical:#x}"})
    words = []
    for line in text.splitlines():
        if ":" in line:
            words += [int(word, 16) for word in re.findall(r"\b0x([0-9a-f]{8})\b", line.split(":", 1)[1])]
    return words


def config_space(qmp, ecam_base, function, size=4096):
    """A function's configuration space as QEMU's ECAM region holds it."""
    bus, device, number = function.address
    address = (ecam_base + (bus << ECAM_BUS_SHIFT) + (device << ECAM_DEVICE_SHIFT)
               + (number << ECAM_FUNCTION_SHIFT))
    words = read_dwords(qmp, address, size // 4)
    assert len(words) == size // 4, (function, len(words))
    return b"".join(word.to_bytes(4, "little") for word in words)


def capability_offsets(space):
    """The conventional and extended capability lists' offsets, walked here
    from QEMU's bytes (PCI 3.0 6.7; PCIe Base 4.0 7.6.3), for lists that
    are well formed (QEMU's are)."""
    conventional, extended = [], []
    if space[0x06] & 0x10:
        pointer = space[0x34]
        while pointer and pointer not in conventional:
            conventional.append(pointer)
            pointer = space[pointer + 1]
    if len(space) > 256:
        pointer = 0x100
        while pointer and pointer not in extended:
            header = int.from_bytes(space[pointer:pointer + 4], "little")
            if header in (0, 0xFFFFFFFF):
                break
            extended.append(pointer)
            pointer = header >> 20
    return conventional, extended


def qemu_functions(qmp, ecam=None):
    """QEMU's functions with their class numbers; on a machine with an ECAM
    region (its start), also the programming interface, revision and
    capability offsets read from QEMU's own configuration space."""
    functions = parse_info_pci(qmp.execute("human-monitor-command", **{"command-line": "info pci"}))
    classes = query_classes(qmp)
    for function in functions:
        base_class, subclass = classes[function.address]
        function.class_code = (base_class, subclass, None)
        if ecam is None:
            continue
        space = config_space(qmp, ecam, function)
        function.class_code = (base_class, subclass, space[0x09])
        function.revision = space[0x08]
        function.capabilities, extended = capability_offsets(space)
        # Extended space is PCI Express's (PCIe Base 4.0 7.2.2): a
        # conventional function has none, whatever its bytes there read.
        express = any(space[offset] == 0x10 for offset in function.capabilities)
        function.extended_capabilities = extended if express else []
    return functions


def buses_reached(functions):
    """The buses a walk from bus 0 through every bridge reaches: bus 0 and
    each bridge's secondary bus (which may hold nothing)."""
    return {0} | {function.bridge.secondary for function in functions if function.bridge is not None}


def without_extended_capabilities(functions):
    """For a kernel that reached configuration space through mechanism 1,
    which has no way to the extended space."""
    for function in functions:
        function.extended_capabilities = []
    return functions


# --- The kernel's [PCI] lines ----------------------------------------------

KERNEL_IDENTITY = re.compile(
    r"^([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) ([0-9a-f]{4}):([0-9a-f]{4}) "
    r"class ([0-9a-f]{2})\.([0-9a-f]{2})\.([0-9a-f]{2}) \(([^)]*)\) .*?, rev ([0-9a-f]{2})(?P<rest>.*)$")
KERNEL_BAR = re.compile(
    r"^  (?:BAR(\d) (I/O|32-bit(?: prefetchable)? memory(?: below 1 MiB)?|64-bit(?: prefetchable)? memory)|(ROM))"
    r"(?: at (0x[0-9a-f]+), size (0x[0-9a-f]+)(, disabled|, not decoded: .*)?| unassigned, size (0x[0-9a-f]+))$")
KERNEL_BRIDGE = re.compile(
    r"^  bridge: primary bus ([0-9a-f]{2}), secondary bus ([0-9a-f]{2}), subordinate bus ([0-9a-f]{2})"
    r"(?:, I/O (none|0x[0-9a-f]+-0x[0-9a-f]+), memory (none|0x[0-9a-f]+-0x[0-9a-f]+), "
    r"prefetchable (none|0x[0-9a-f]+-0x[0-9a-f]+))?(?:; not followed: .*)?$")
KERNEL_CAPABILITIES = re.compile(r"^  (extended )?capabilities: (.*)$")
KERNEL_SUMMARY = re.compile(
    r"^(\d+) functions? on (\d+) bus(?:es)? through (?:ECAM at (0x[0-9a-f]+) \(segment 0, buses ([0-9a-f]{2})-"
    r"([0-9a-f]{2}); (\d+) MiB mapped uncached, no-execute at (0x[0-9a-f]+)\)|configuration mechanism 1 \(ports "
    r"0xcf8/0xcfc\): (.+?))(?:; (\d+) bridges? not followed)?$")


@dataclass
class Summary:
    functions: int
    buses: int
    mechanism: str               # "ecam" or "ports"
    ecam_base: int | None = None
    bus_range: tuple | None = None
    mapped_mib: int | None = None
    window: int | None = None
    reason: str | None = None    # why mechanism 1
    bridges_not_followed: int = 0


def _window(text):
    if text is None:
        return None
    if text == "none":
        return Window(1, 0)
    base, limit = text.split("-")
    return Window(int(base, 16), int(limit, 16))


def _kernel_bar(match):
    slot, kind, rom, address, size, state, unassigned_size = match.groups()
    if rom:
        slot, space, prefetchable = ROM_SLOT, "mem32", False
    else:
        slot, prefetchable = int(slot), "prefetchable" in kind
        space = "io" if kind == "I/O" else "mem64" if kind.startswith("64") else "mem32"
    if unassigned_size is not None:
        return Bar(slot, space, prefetchable, None, int(unassigned_size, 16))
    return Bar(slot, space, prefetchable, None if state else int(address, 16), int(size, 16))


def parse_kernel_listing(lines, prefix="[PCI] "):
    """The functions and the summary of a [PCI] listing (the console's has
    no prefix); other lines are left alone."""
    functions, summary, current = [], None, None
    for line in lines:
        if not line.startswith(prefix):
            continue
        text = line[len(prefix):]
        if identity := KERNEL_IDENTITY.match(text):
            bus, device, number, vendor, device_id, base, sub, interface, name, revision = identity.groups()[:10]
            current = Function(int(bus, 16), int(device, 16), int(number), int(vendor, 16), int(device_id, 16),
                               class_name=name, class_code=(int(base, 16), int(sub, 16), int(interface, 16)),
                               revision=int(revision, 16))
            rest = identity.group("rest")
            if subsystem := re.search(r", subsystem ([0-9a-f]{4}):([0-9a-f]{4})", rest):
                current.subsystem = (int(subsystem.group(1), 16), int(subsystem.group(2), 16))
            if irq := re.search(r", IRQ (\d+) pin ([A-D])", rest):
                current.irq = (int(irq.group(1)), irq.group(2))
            functions.append(current)
        elif summary_match := KERNEL_SUMMARY.match(text):
            count, buses, base, first, last, mib, window, reason, not_followed = summary_match.groups()
            summary = Summary(int(count), int(buses), "ecam" if base else "ports",
                              int(base, 16) if base else None,
                              (int(first, 16), int(last, 16)) if base else None, int(mib) if mib else None,
                              int(window, 16) if window else None, reason, int(not_followed or 0))
        elif current is not None and (bar := KERNEL_BAR.match(text)):
            parsed = _kernel_bar(bar)
            current.bars[parsed.slot] = parsed
        elif current is not None and (bridge := KERNEL_BRIDGE.match(text)):
            primary, secondary, subordinate, io, memory, prefetchable = bridge.groups()
            current.bridge = Bridge(int(primary, 16), int(secondary, 16), int(subordinate, 16), _window(io),
                                    _window(memory), _window(prefetchable))
        elif current is not None and (capabilities := KERNEL_CAPABILITIES.match(text)):
            offsets = [int(offset, 16) for offset in re.findall(r" at (0x[0-9a-f]+)(?:,|$)", capabilities.group(2))]
            if capabilities.group(1):
                current.extended_capabilities = offsets
            else:
                current.capabilities = offsets
    return functions, summary


# --- The comparison ----------------------------------------------------------

def differences(kernel, qemu):
    """Every way the kernel's functions differ from QEMU's, as text (empty
    when they agree): the same functions at the same addresses, and for
    each its IDs, class, subsystem, IRQ, bridge numbers and windows, BARs
    (slot, kind, size, and the address where QEMU maps it, none where it
    does not), and where QEMU's side has them the programming interface,
    revision and capability offsets."""
    found = []
    by_address = {function.address: function for function in kernel}
    expected = {function.address: function for function in qemu}
    if len(by_address) != len(kernel):
        found.append("the kernel lists a function twice")
    for address in sorted(set(by_address) ^ set(expected)):
        side = "only the kernel" if address in by_address else "only QEMU"
        found.append(f"{address}: listed by {side}")
    for address in sorted(set(by_address) & set(expected)):
        mine, theirs = by_address[address], expected[address]
        prefix = f"{theirs}:"
        if (mine.vendor, mine.device_id) != (theirs.vendor, theirs.device_id):
            found.append(f"{prefix} kernel says {mine.vendor:04x}:{mine.device_id:04x}")
        wanted_class = theirs.class_code if theirs.class_code[2] is not None else (*theirs.class_code[:2],
                                                                                   mine.class_code[2])
        if mine.class_code != wanted_class:
            found.append(f"{prefix} class {mine.class_code} against QEMU's {wanted_class}")
        if theirs.revision is not None and mine.revision != theirs.revision:
            found.append(f"{prefix} revision {mine.revision} against QEMU's {theirs.revision}")
        for name in ("subsystem", "irq"):
            if getattr(mine, name) != getattr(theirs, name):
                found.append(f"{prefix} {name} {getattr(mine, name)} against QEMU's {getattr(theirs, name)}")
        if mine.bars != theirs.bars:
            found.append(f"{prefix} BARs {sorted(mine.bars.values(), key=lambda bar: bar.slot)} against QEMU's "
                         f"{sorted(theirs.bars.values(), key=lambda bar: bar.slot)}")
        found += _bridge_differences(prefix, mine.bridge, theirs.bridge)
        if theirs.revision is not None:   # QEMU's configuration space was read: its capabilities too
            for name in ("capabilities", "extended_capabilities"):
                if getattr(mine, name) != getattr(theirs, name):
                    found.append(f"{prefix} {name} at {[hex(o) for o in getattr(mine, name)]} against QEMU's "
                                 f"{[hex(o) for o in getattr(theirs, name)]}")
    return found


def _bridge_differences(prefix, mine, theirs):
    if mine is None or theirs is None:
        return [] if mine is theirs else [f"{prefix} bridge {mine} against QEMU's {theirs}"]
    found = []
    if (mine.primary, mine.secondary, mine.subordinate) != (theirs.primary, theirs.secondary, theirs.subordinate):
        found.append(f"{prefix} buses {mine} against QEMU's {theirs}")
    for name in ("io", "memory", "prefetchable"):
        window, expected = getattr(mine, name), getattr(theirs, name)
        if expected is None:
            continue
        if window is None or window.open != expected.open or (expected.open and window != expected):
            found.append(f"{prefix} {name} window {window} against QEMU's {expected}")
    return found
