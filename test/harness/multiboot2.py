"""Multiboot2 boot information structures built by tests, well-formed or
not, and the hand-off record that test/direct_boot/handoff_loader.asm reads
to enter RayOS with them (Multiboot2 specification 3.6).

Every helper takes the field values a loader would write and lets a test
override any of them, so a malformed structure is a well-formed one with
one field changed."""

import struct

BOOTLOADER_MAGIC = 0x36D76289

TAG_END = 0
TAG_COMMAND_LINE = 1
TAG_BOOTLOADER_NAME = 2
TAG_MODULE = 3
TAG_BASIC_MEMORY = 4
TAG_MEMORY_MAP = 6
TAG_FRAMEBUFFER = 8
TAG_ACPI_OLD_RSDP = 14
TAG_ACPI_NEW_RSDP = 15

MEMORY_AVAILABLE = 1
MEMORY_RESERVED = 2
MEMORY_ACPI_RECLAIMABLE = 3

MIB = 1 << 20

# Where the loader places the structure unless a test says otherwise:
# above the kernel image, below the loader (both fixed, see the loader).
# The image ends near 2.5 MiB, and near 3.1 MiB built for coverage (its
# counters are in .bss): 3.5 MiB leaves half a MiB for the structure and
# the ACPI tables some tests put after it.
DEFAULT_INFO_ADDRESS = 0x380000

HANDOFF_MAGIC = 0x444E4852  # "RHND"


def _padded(data):
    return data + bytes(-len(data) % 8)


def tag(tag_type, payload=b"", size=None):
    """One tag: type, size (8 + payload unless overridden), payload, padding."""
    size = 8 + len(payload) if size is None else size
    return _padded(struct.pack("<II", tag_type, size) + payload)


def string_tag(tag_type, text, terminated=True):
    data = text.encode() if isinstance(text, str) else text
    return tag(tag_type, data + (b"\0" if terminated else b""))


def command_line(text, terminated=True):
    return string_tag(TAG_COMMAND_LINE, text, terminated)


def bootloader_name(text="RayOS hand-off loader", terminated=True):
    return string_tag(TAG_BOOTLOADER_NAME, text, terminated)


def basic_memory(lower_kib=639, upper_kib=None, memory_mib=128, size=None):
    upper = (memory_mib - 1) * 1024 if upper_kib is None else upper_kib
    return tag(TAG_BASIC_MEMORY, struct.pack("<II", lower_kib, upper), size)


def memory_entry(base, length, kind=MEMORY_AVAILABLE, entry_size=24):
    entry = struct.pack("<QQII", base, length, kind, 0)
    return entry + bytes(entry_size - len(entry)) if entry_size > len(entry) else entry[:entry_size]


def qemu_like_regions(memory_mib=128):
    """The map SeaBIOS gives for -m memory_mib (up to 3 GiB): what GRUB would pass on."""
    top = memory_mib * MIB
    return [
        (0x0, 0x9FC00, MEMORY_AVAILABLE),
        (0x9FC00, 0x400, MEMORY_RESERVED),
        (0xF0000, 0x10000, MEMORY_RESERVED),
        (0x100000, top - 0x20000 - 0x100000, MEMORY_AVAILABLE),
        (top - 0x20000, 0x20000, MEMORY_RESERVED),
        (0xFFFC0000, 0x40000, MEMORY_RESERVED),
    ]


def memory_map(regions=None, entry_size=24, entry_version=0, size=None, extra=b""):
    """A memory map tag; regions are (base, length, type). extra bytes go
    after the entries (a torn entry, when not a whole entry_size)."""
    regions = qemu_like_regions() if regions is None else regions
    entries = b"".join(memory_entry(base, length, kind, entry_size) for base, length, kind in regions)
    payload = struct.pack("<II", entry_size, entry_version) + entries + extra
    return tag(TAG_MEMORY_MAP, payload, size)


def module(start, end, text="module"):
    return tag(TAG_MODULE, struct.pack("<II", start, end) + text.encode() + b"\0")


def acpi_old_rsdp(length=20):
    """A copy of an ACPI 1.0 RSDP, or a shorter (truncated) one."""
    rsdp = b"RSD PTR " + bytes([0]) + b"RAYOS " + bytes([0]) + struct.pack("<I", 0xE0000)
    rsdp = rsdp[:8] + bytes([(-sum(rsdp)) & 0xFF]) + rsdp[9:]
    return tag(TAG_ACPI_OLD_RSDP, rsdp[:length])


def acpi_new_rsdp(rsdp):
    """A copy of an ACPI 2.0+ RSDP (harness/acpi_tables.py builds one)."""
    return tag(TAG_ACPI_NEW_RSDP, rsdp)


def framebuffer(address=0xFD000000, pitch=3200, width=800, height=600, bits_per_pixel=32, kind=1,
                rgb=(16, 8, 8, 8, 0, 8), cut_to=None):
    """A framebuffer tag (spec 3.6.12) as GRUB writes it for QEMU's standard
    VGA (800x600, 32 bits, BGRX at 0xFD000000); cut_to keeps only that many
    payload bytes."""
    payload = struct.pack("<QIIIBBH", address, pitch, width, height, bits_per_pixel, kind, 0) + bytes(rgb)
    return tag(TAG_FRAMEBUFFER, payload if cut_to is None else payload[:cut_to])


def end(size=8):
    return tag(TAG_END, b"", size)


def information(tags, total_size=None, reserved=0):
    """The structure: total_size, reserved, then the tags as given (an end
    tag is not added: a test decides whether there is one)."""
    body = b"".join(tags)
    total = 8 + len(body) if total_size is None else total_size
    return struct.pack("<II", total, reserved) + body


def bootable(cmdline="exit", memory_mib=128, regions=None, extra_tags=(), map_tag=None):
    """A structure a kernel should boot from: what GRUB would give it."""
    map_tag = memory_map(regions if regions is not None else qemu_like_regions(memory_mib)) \
        if map_tag is None else map_tag
    return information([command_line(cmdline), bootloader_name(), basic_memory(memory_mib=memory_mib),
                        map_tag, *extra_tags, end()])


def handoff(data, eax=BOOTLOADER_MAGIC, ebx=None, copy_to=DEFAULT_INFO_ADDRESS):
    """The loader's record: enter with eax and ebx (by default the address
    the data is copied to) after copying data to copy_to."""
    ebx = copy_to if ebx is None else ebx
    return struct.pack("<IIIII12x", HANDOFF_MAGIC, eax, ebx, copy_to, len(data)) + data


# Reading a structure a loader wrote (the tests' oracle for what GRUB passed).

def read_tags(data):
    """(type, payload) for each tag up to the end tag, checked as it goes."""
    total_size, _ = struct.unpack_from("<II", data, 0)
    if total_size > len(data):
        raise ValueError(f"total_size {total_size} is more than the {len(data)} bytes read")
    tags, offset = [], 8
    while offset + 8 <= total_size:
        tag_type, size = struct.unpack_from("<II", data, offset)
        if size < 8 or offset + size > total_size:
            raise ValueError(f"tag {tag_type} at offset {offset} has size {size}")
        if tag_type == TAG_END:
            return tags
        tags.append((tag_type, bytes(data[offset + 8:offset + size])))
        offset += (size + 7) & ~7
    raise ValueError("no end tag")


def read_memory_map(data):
    """The memory map tag's entries as (base, length, type)."""
    maps = [payload for tag_type, payload in read_tags(data) if tag_type == TAG_MEMORY_MAP]
    if len(maps) != 1:
        raise ValueError(f"{len(maps)} memory map tags")
    entry_size, _ = struct.unpack_from("<II", maps[0], 0)
    entries = maps[0][8:]
    return [struct.unpack_from("<QQI", entries, offset)
            for offset in range(0, len(entries) - entry_size + 1, entry_size)]


def read_modules(data):
    """Each module tag's (start, end)."""
    return [struct.unpack_from("<II", payload, 0) for tag_type, payload in read_tags(data) if tag_type == TAG_MODULE]
