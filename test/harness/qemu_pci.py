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
QMP's query-pci (class and subclass). The programming interface, revision
and capability lists come from each function's configuration space as QEMU
holds it, read by the monitor itself: on q35 from the ECAM region with
`xp`, on pc (no ECAM) through configuration mechanism 1 with the monitor's
`o` and `i` on ports 0xcf8/0xcfc, never from the kernel's output. The
capabilities are then described here, from those bytes and the PCI
specification, in the words the kernel's listing uses, so a test compares
each capability's ID and decoded fields, not only where it is."""

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
    description: str = ""                # QEMU's words for the class (`info pci`)
    class_name: str = ""                 # the kernel's name, or the one the test holds for QEMU's class
    class_code: tuple | None = None      # (class, subclass, programming interface or None)
    revision: int | None = None
    capabilities: list = field(default_factory=list)           # (offset, description), in list order
    extended_capabilities: list = field(default_factory=list)
    vendor_name: str = ""                # the kernel's name, or the one the test holds for the vendor
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
            current.description = identity.group(1)
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


CONFIG_ADDRESS, CONFIG_DATA = 0xCF8, 0xCFC
CONFIG_ENABLE = 0x80000000
MECHANISM_1_BUS_SHIFT, MECHANISM_1_DEVICE_SHIFT, MECHANISM_1_FUNCTION_SHIFT = 16, 11, 8
CONVENTIONAL_SPACE = 256
PORT_READ = re.compile(r"^portl\[0x0cfc\] = 0x([0-9a-f]{8})\s*$")


def config_space_through_ports(qmp, function):
    """A function's conventional configuration space (mechanism 1 reaches
    no further) read by the monitor through ports 0xcf8/0xcfc, as a CPU
    would (PCI 3.0 3.2.2.3.2): `o /w` writes the address dword, `i /w`
    reads the data. Only while the guest leaves 0xcf8 alone: a kernel in
    its idle loop (after "[BOOT] halted"), or the address it last wrote
    and the one written here would race."""
    bus, device, number = function.address
    words = []
    for offset in range(0, CONVENTIONAL_SPACE, 4):
        address = (CONFIG_ENABLE | bus << MECHANISM_1_BUS_SHIFT | device << MECHANISM_1_DEVICE_SHIFT
                   | number << MECHANISM_1_FUNCTION_SHIFT | offset)
        qmp.execute("human-monitor-command", **{"command-line": f"o /w {CONFIG_ADDRESS:#x} {address:#x}"})
        answer = qmp.execute("human-monitor-command", **{"command-line": f"i /w {CONFIG_DATA:#x}"})
        read = PORT_READ.match(answer)
        assert read, f"unexpected `i` answer {answer!r}"
        words.append(int(read.group(1), 16))
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
    if len(space) > CONVENTIONAL_SPACE:
        pointer = 0x100
        while pointer and pointer not in extended:
            header = int.from_bytes(space[pointer:pointer + 4], "little")
            if header in (0, 0xFFFFFFFF):
                break
            extended.append(pointer)
            pointer = header >> 20
    return conventional, extended


# The names the kernel gives what QEMU's machines and the test's devices
# carry, held here rather than read from the kernel (PCI Code and ID
# Assignment Specification 1.11; PCIe Base 4.0 7.5.3.2 for the port
# types). A function or capability QEMU grows that is not here is a
# difference to look at, not something to guess.
CLASS_NAMES = {
    (0x01, 0x01, 0x80): "IDE",                      # PIIX3 IDE, ISA compatibility mode, bus master
    (0x01, 0x06, 0x01): "SATA AHCI",                # ICH9 AHCI
    (0x02, 0x00, 0x00): "Ethernet",                 # e1000, e1000e, virtio-net
    (0x03, 0x00, 0x00): "VGA",                      # std VGA
    (0x06, 0x00, 0x00): "host bridge",              # i440FX, q35's MCH
    (0x06, 0x01, 0x00): "ISA bridge",               # PIIX3, ICH9 LPC
    (0x06, 0x04, 0x00): "PCI-to-PCI bridge",        # pci-bridge, pcie-root-port
    (0x06, 0x80, 0x00): "other bridge",             # PIIX4 ACPI (pc's 01.3)
    (0x0C, 0x05, 0x00): "SMBus",                    # ICH9 SMBus
}
VENDOR_NAMES = {0x8086: "Intel", 0x1AF4: "Red Hat (virtio)", 0x1B36: "Red Hat (QEMU)",
                0x1234: "QEMU (Bochs display)"}
CAPABILITY_NAMES = {0x01: "power management", 0x04: "slot identification", 0x05: "MSI", 0x09: "vendor-specific",
                    0x0C: "PCI hot-plug", 0x0D: "bridge subsystem ID", 0x10: "PCI Express", 0x11: "MSI-X",
                    0x12: "SATA configuration"}
EXTENDED_CAPABILITY_NAMES = {0x0001: "advanced error reporting", 0x0003: "device serial number",
                             0x000D: "access control services", 0x000E: "alternative routing ID"}
PORT_TYPES = {0x0: "endpoint", 0x1: "legacy endpoint", 0x4: "root port", 0x5: "switch upstream port",
              0x6: "switch downstream port", 0x7: "PCI Express to PCI bridge", 0x8: "PCI to PCI Express bridge",
              0x9: "root complex integrated endpoint", 0xA: "root complex event collector"}


def _word(space, offset):
    return int.from_bytes(space[offset:offset + 2], "little")


def _dword(space, offset):
    return int.from_bytes(space[offset:offset + 4], "little")


def _plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def describe_capability(space, offset):
    """One conventional capability as the kernel should list it, decoded
    from QEMU's bytes: the ID at offset, the fields after the next pointer
    (PCI 3.0 6.8.1 MSI, 6.8.2 MSI-X; PCI PM 1.2 3.2.3; PCIe Base 4.0
    7.5.3.2)."""
    capability_id, control = space[offset], _word(space, offset + 2)
    if capability_id == 0x05:
        vectors = 1 << (control >> 1 & 0x7)
        return (f"MSI ({64 if control & 0x80 else 32}-bit{', per-vector masking' if control & 0x100 else ''}, "
                f"{_plural(vectors, 'vector')}, {'on' if control & 0x1 else 'off'})")
    if capability_id == 0x11:
        table, pending = _dword(space, offset + 4), _dword(space, offset + 8)
        return (f"MSI-X ({_plural((control & 0x7FF) + 1, 'vector')}, table BAR{table & 0x7}+{table & ~0x7:#x}, "
                f"PBA BAR{pending & 0x7}+{pending & ~0x7:#x}, {'on' if control & 0x8000 else 'off'})")
    if capability_id == 0x10:
        port_type = control >> 4 & 0xF
        return f"PCI Express v{control & 0xF} {PORT_TYPES.get(port_type, f'port type {port_type:#x}')}"
    if capability_id == 0x01:
        return f"power management v{control & 0x7}"
    if capability_id == 0x09:
        return f"vendor-specific ({space[offset + 2]} bytes)"
    return CAPABILITY_NAMES.get(capability_id, f"capability {capability_id:#04x} (no name held by the test)")


def describe_extended_capability(space, offset):
    """One extended capability as the kernel should list it: the ID and
    version of its header (PCIe Base 4.0 7.6.3)."""
    header = _dword(space, offset)
    capability_id, version = header & 0xFFFF, header >> 16 & 0xF
    name = EXTENDED_CAPABILITY_NAMES.get(capability_id, f"extended capability {capability_id:#06x} (no name held "
                                                        f"by the test)")
    return f"{name} v{version}"


def qemu_functions(qmp, ecam=None):
    """QEMU's functions with their class numbers, programming interface,
    revision and capabilities, read from QEMU's own configuration space:
    through its ECAM region (its start) where the machine has one, else
    through mechanism 1 from the monitor (the guest must be idle: see
    config_space_through_ports)."""
    functions = parse_info_pci(qmp.execute("human-monitor-command", **{"command-line": "info pci"}))
    classes = query_classes(qmp)
    for function in functions:
        base_class, subclass = classes[function.address]
        space = config_space(qmp, ecam, function) if ecam is not None else config_space_through_ports(qmp, function)
        # The bytes must be this function's, or every field below would be
        # another's: its IDs as `info pci` has them, its class as query-pci.
        assert (_word(space, 0x00), _word(space, 0x02)) == (function.vendor, function.device_id), \
            (str(function), space[:4].hex())
        assert (space[0x0B], space[0x0A]) == (base_class, subclass), (str(function), space[0x08:0x0C].hex())
        function.class_code = (base_class, subclass, space[0x09])
        function.revision = space[0x08]
        conventional, extended = capability_offsets(space)
        function.capabilities = [(offset, describe_capability(space, offset)) for offset in conventional]
        # Extended space is PCI Express's (PCIe Base 4.0 7.2.2): a
        # conventional function has none, whatever its bytes there read.
        express = any(space[offset] == 0x10 for offset in conventional)
        function.extended_capabilities = [(offset, describe_extended_capability(space, offset))
                                          for offset in extended] if express else []
        function.class_name = CLASS_NAMES.get(function.class_code, "")
        function.vendor_name = VENDOR_NAMES.get(function.vendor, "")
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
    r"class ([0-9a-f]{2})\.([0-9a-f]{2})\.([0-9a-f]{2}) \(([^)]*)\) (.+?), rev ([0-9a-f]{2})(?P<rest>.*)$")
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
            (bus, device, number, vendor, device_id, base, sub, interface, name, vendor_name,
             revision) = identity.groups()[:11]
            current = Function(int(bus, 16), int(device, 16), int(number), int(vendor, 16), int(device_id, 16),
                               class_name=name, class_code=(int(base, 16), int(sub, 16), int(interface, 16)),
                               revision=int(revision, 16), vendor_name=vendor_name)
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
            # "MSI (64-bit, 1 vector, off) at 0xd0, PCI Express v2 endpoint at 0x80": a description may hold
            # commas, never " at 0x".
            listed = [(int(offset, 16), description) for description, offset
                      in re.findall(r"(?:^|, )(.+?) at (0x[0-9a-f]+)(?=, |$)", capabilities.group(2))]
            if capabilities.group(1):
                current.extended_capabilities = listed
            else:
                current.capabilities = listed
    return functions, summary


# --- The comparison ----------------------------------------------------------

def differences(kernel, qemu):
    """Every way the kernel's functions differ from QEMU's, as text (empty
    when they agree): the same functions at the same addresses, and for
    each its IDs, vendor and class names, class, programming interface,
    revision, subsystem, IRQ, bridge numbers and windows, BARs (slot, kind,
    size, and the address where QEMU maps it, none where it does not), and
    the capabilities: each at its offset with its ID and decoded fields."""
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
        if mine.class_code != theirs.class_code:
            found.append(f"{prefix} class {mine.class_code} against QEMU's {theirs.class_code}")
        if not theirs.class_name or mine.class_name != theirs.class_name:
            found.append(f"{prefix} class name {mine.class_name!r} where the test holds "
                         f"{theirs.class_name or 'no name'!r} for class {theirs.class_code}")
        if not theirs.vendor_name or mine.vendor_name != theirs.vendor_name:
            found.append(f"{prefix} vendor name {mine.vendor_name!r} where the test holds "
                         f"{theirs.vendor_name or 'no name'!r}")
        if mine.revision != theirs.revision:
            found.append(f"{prefix} revision {mine.revision} against QEMU's {theirs.revision}")
        for name in ("subsystem", "irq"):
            if getattr(mine, name) != getattr(theirs, name):
                found.append(f"{prefix} {name} {getattr(mine, name)} against QEMU's {getattr(theirs, name)}")
        if mine.bars != theirs.bars:
            found.append(f"{prefix} BARs {sorted(mine.bars.values(), key=lambda bar: bar.slot)} against QEMU's "
                         f"{sorted(theirs.bars.values(), key=lambda bar: bar.slot)}")
        found += _bridge_differences(prefix, mine.bridge, theirs.bridge)
        for name in ("capabilities", "extended_capabilities"):
            if getattr(mine, name) != getattr(theirs, name):
                found.append(f"{prefix} {name} {_listed(getattr(mine, name))} against QEMU's "
                             f"{_listed(getattr(theirs, name))}")
    return found


def _listed(capabilities):
    return [f"{description} at {offset:#x}" for offset, description in capabilities]


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
