"""ACPI tables built by tests (ACPI 6.4 5.2; HPET 1.0a 3.2.4; PCI Firmware
3.2 4.1.2), well-formed or not: an RSDP 2.0 copy for the Multiboot2 tag, an
XSDT, and the MADT, FADT, HPET and MCFG it lists, laid out at physical
addresses the test chooses, and the hand-off record that gives them to the
kernel through the real boot path.

As with harness/multiboot2.py, every builder writes what firmware would and
takes overrides, so a malformed table is a good one with one field changed.
The tests' expected values come from these tables, never from the kernel."""

import struct
from dataclasses import dataclass, field

from . import multiboot2 as mb2

HEADER_SIZE = 36
CHECKSUM_OFFSET = 9


def _fix_checksum(data, offset, length):
    data = bytearray(data)
    data[offset] = 0
    data[offset] = (-sum(data[:length])) & 0xFF
    return bytes(data)


def sdt(signature, body, revision=1, oem_id=b"RAYOS ", length=None, checksum_delta=0):
    """A table: the 36-byte header (length over header and body unless
    given), the body, the checksum made right, then off by checksum_delta."""
    total = HEADER_SIZE + len(body) if length is None else length
    header = struct.pack("<4sIBB6s8sIII", signature.encode(), total, revision, 0, oem_id, b"RAYOSTBL", 1,
                         0x5941524F, 1)
    data = _fix_checksum(header + body, CHECKSUM_OFFSET, len(header) + len(body))
    if checksum_delta:
        data = data[:CHECKSUM_OFFSET] + bytes([(data[CHECKSUM_OFFSET] + checksum_delta) & 0xFF]) \
            + data[CHECKSUM_OFFSET + 1:]
    return data


def rsdp(xsdt_address, rsdt_address=0, oem_id=b"RAYOS "):
    """An ACPI 2.0 RSDP (36 bytes), both checksums right."""
    first = struct.pack("<8sB6sBI", b"RSD PTR ", 0, oem_id, 2, rsdt_address)
    first = _fix_checksum(first, 8, 20)
    whole = first + struct.pack("<IQB3x", 36, xsdt_address, 0)
    return _fix_checksum(whole, 32, 36)


def xsdt(addresses, **header):
    return sdt("XSDT", b"".join(struct.pack("<Q", address) for address in addresses), **header)


# MADT entries (ACPI 6.4 Tables 5.22-5.34).

def local_apic(uid, apic_id, flags=1, length=8):
    return struct.pack("<BBBBI", 0, length, uid, apic_id, flags)[:max(length, 2)]


def io_apic(ioapic_id, address, gsi_base, length=12):
    return struct.pack("<BBBBII", 1, length, ioapic_id, 0, address, gsi_base)[:max(length, 2)]


def interrupt_override(irq, gsi, flags=0, bus=0):
    return struct.pack("<BBBBIH", 2, 10, bus, irq, gsi, flags)


def nmi_source(gsi, flags=0):
    return struct.pack("<BBHI", 3, 8, flags, gsi)


def local_apic_nmi(uid=0xFF, lint=1, flags=0):
    return struct.pack("<BBBHB", 4, 6, uid, flags, lint)


def local_apic_address_override(address):
    return struct.pack("<BBHQ", 5, 12, 0, address)


def local_x2apic(x2apic_id, uid, flags=1):
    return struct.pack("<BBHIII", 9, 16, 0, x2apic_id, flags, uid)


def madt(entries, local_apic_address=0xFEE00000, flags=1, **header):
    body = struct.pack("<II", local_apic_address, flags) + b"".join(entries)
    return sdt("APIC", body, revision=header.pop("revision", 3), **header)


LOCAL_APIC = 0xFEE00000
IO_APIC = 0xFEC00000


def qemu_like_madt_entries(cpus=2):
    """What SeaBIOS writes for -smp cpus on pc: one local APIC per CPU, the
    I/O APIC, the ISA overrides (IRQ 0 on GSI 2; 5, 9, 10, 11 level high),
    and LINT1 as NMI on every processor."""
    return ([local_apic(uid, uid) for uid in range(cpus)] + [io_apic(0, IO_APIC, 0)]
            + [interrupt_override(0, 2)]
            + [interrupt_override(irq, irq, flags=0xD) for irq in (5, 9, 10, 11)]
            + [local_apic_nmi()])


def fadt(pm_timer_block=0x608, reset_supported=True, reset_space=1, reset_address=0xCF9, reset_value=6,
         reset_width=8, length=244, **header):
    """An ACPI 2.0+ FADT with the fields RayOS reads: PM_TMR_BLK (QEMU's PM
    timer is at 0x608 on pc and q35), Flags, RESET_REG and RESET_VALUE."""
    body = bytearray(244 - HEADER_SIZE)

    def put(offset, fmt, *values):
        struct.pack_into(fmt, body, offset - HEADER_SIZE, *values)

    put(76, "<I", pm_timer_block)
    put(91, "<B", 4)
    put(112, "<I", (1 << 10) if reset_supported else 0)
    put(116, "<BBBBQ", reset_space, reset_width, 0, 1, reset_address)
    put(128, "<B", reset_value)
    return sdt("FACP", bytes(body[:length - HEADER_SIZE]), revision=header.pop("revision", 3), **header)


def hpet(address=0xFED00000, block_id=0x8086A201, space=0, number=0, minimum_tick=128, **header):
    body = struct.pack("<IBBBBQBHB", block_id, space, 64, 0, 0, address, number, minimum_tick, 0)
    return sdt("HPET", body, **header)


def mcfg(entries, **header):
    """An MCFG: 8 reserved bytes, then a 16-byte allocation structure for
    each (base, segment, start bus, end bus)."""
    body = bytes(8) + b"".join(struct.pack("<QHBBI", base, segment, start, end, 0)
                               for base, segment, start, end in entries)
    return sdt("MCFG", body, **header)


# Where QEMU's q35 has its ECAM window (SeaBIOS and OVMF program it there).
Q35_ECAM = 0xB0000000


@dataclass
class Firmware:
    """Tables laid out from base, each 16-byte aligned, the XSDT listing
    the others; image() is their bytes from base."""
    base: int
    tables: list = field(default_factory=list)   # (name, bytes)
    xsdt_header: dict = field(default_factory=dict)
    extra_addresses: tuple = ()                  # listed in the XSDT after the tables

    def addresses(self):
        address, placed = self.base + 0x40, {}
        xsdt_size = HEADER_SIZE + 8 * (len(self.tables) + len(self.extra_addresses))
        address += (xsdt_size + 15) & ~15
        for name, data in self.tables:
            placed[name] = address
            address += (len(data) + 15) & ~15
        return placed

    def xsdt_address(self):
        return self.base + 0x40

    def image(self):
        placed = self.addresses()
        listed = list(placed.values()) + list(self.extra_addresses)
        data = bytearray(max([placed[name] + len(table) for name, table in self.tables] +
                             [self.xsdt_address() + HEADER_SIZE + 8 * len(listed)]) - self.base)
        root = xsdt(listed, **self.xsdt_header)
        data[0x40:0x40 + len(root)] = root
        for name, table in self.tables:
            offset = placed[name] - self.base
            data[offset:offset + len(table)] = table
        return bytes(data)

    def rsdp(self):
        return rsdp(self.xsdt_address())


# The hand-off boots (test/direct_boot/): the Multiboot2 structure at
# HANDOFF_INFO, the tables right after it, in memory the map calls
# ACPI-reclaimable.
HANDOFF_INFO = mb2.DEFAULT_INFO_ADDRESS
HANDOFF_TABLES = HANDOFF_INFO + 0x1000
HANDOFF_TABLES_SIZE = 0x4000


def firmware_regions(memory_mib=128):
    """QEMU's map, with the tables' pages carved out of usable memory as ACPI-reclaimable."""
    regions = [region for region in mb2.qemu_like_regions(memory_mib) if region[0] != 0x100000]
    top = memory_mib * mb2.MIB - 0x20000
    return regions + [(0x100000, HANDOFF_TABLES - 0x100000, mb2.MEMORY_AVAILABLE),
                      (HANDOFF_TABLES, HANDOFF_TABLES_SIZE, mb2.MEMORY_ACPI_RECLAIMABLE),
                      (HANDOFF_TABLES + HANDOFF_TABLES_SIZE, top - HANDOFF_TABLES - HANDOFF_TABLES_SIZE,
                       mb2.MEMORY_AVAILABLE)]


def handoff_record(firmware, cmdline="exit"):
    """The hand-off record: the structure at HANDOFF_INFO, the tables at HANDOFF_TABLES."""
    structure = mb2.bootable(cmdline=cmdline, regions=firmware_regions(),
                             extra_tags=(mb2.acpi_new_rsdp(firmware.rsdp()),))
    assert len(structure) <= HANDOFF_TABLES - HANDOFF_INFO
    image = firmware.image()
    assert len(image) <= HANDOFF_TABLES_SIZE
    return mb2.handoff(structure + bytes(HANDOFF_TABLES - HANDOFF_INFO - len(structure)) + image)


def qemu_like_tables(madt=None, fadt=None, hpet=None, extra=()):
    """A MADT, FADT and HPET as QEMU's pc has them (one CPU), each replaced
    where given (b"" leaves it out), and the extra (name, bytes) tables."""
    given = {"APIC": madt, "FACP": fadt, "HPET": hpet}
    tables = [(name, _QEMU_LIKE[name]() if table is None else table) for name, table in given.items()]
    return Firmware(HANDOFF_TABLES, [table for table in tables if table[1] != b""] + list(extra))


# The builders behind qemu_like_tables (whose arguments take their names).
_QEMU_LIKE = {"APIC": lambda: madt(qemu_like_madt_entries(1)), "FACP": lambda: fadt(), "HPET": lambda: hpet()}
