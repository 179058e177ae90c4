"""gdb commands that read RayOS's state from a stopped kernel (ci/debug.sh
loads this after rayos.gdb). They only read memory: nothing runs in the
kernel, so they are safe at any stop, even with a lock held.

  rayos-heap          the kernel heap's statistics
  rayos-frames        the frame allocator's statistics
  rayos-walk ADDRESS  the page-table walk for a virtual address, from CR3
  rayos-idt VECTOR    the IDT gate for a vector, its handler and stack
  rayos-log [BYTES]   the kernel log as kept in memory (the last 16 KiB)
"""

import gdb

DIRECT_MAP_BASE = 0xFFFF800000000000  # src/mm/direct_map.h
PAGE_PRESENT, PAGE_WRITABLE, PAGE_USER, PAGE_LARGE = 1, 2, 4, 0x80
PAGE_NO_EXECUTE = 1 << 63
ADDRESS_MASK = 0x000FFFFFFFFFF000


def kernel_global(name):
    try:
        return gdb.parse_and_eval(f"'{name}'")
    except gdb.error as error:
        raise gdb.GdbError(f"{name}: {error} (is build/rayos.elf loaded?)")


def read_u64(address):
    memory = gdb.selected_inferior().read_memory(address, 8)
    return int.from_bytes(bytes(memory), "little")


def print_fields(title, value):
    gdb.write(f"{title}:\n")
    for field in value.type.fields():
        gdb.write(f"  {field.name:<20} {int(value[field.name])}\n")


class RayosHeap(gdb.Command):
    """The kernel heap's statistics: bytes in use and held, pages, calls."""

    def __init__(self):
        super().__init__("rayos-heap", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        # src/mm/kernel_heap.cpp sets g_ready once init_kernel_heap is done;
        # before that the statistics are zeros that mean nothing.
        if not int(kernel_global("mm::(anonymous namespace)::g_ready")):
            gdb.write("kernel heap: not initialised yet (mm::init_kernel_heap has not run)\n")
            return
        heap = kernel_global("mm::(anonymous namespace)::g_heap")["m_value"]
        print_fields("kernel heap", heap["m_statistics"])
        gdb.write(f"  {'arena':<20} {int(heap['m_layout']['arena']):#x}\n")
        locked = kernel_global("mm::(anonymous namespace)::g_heap")["m_lock"]["m_locked"]["m_value"]
        gdb.write(f"  {'locked':<20} {'yes' if int(locked) else 'no'}\n")


class RayosFrames(gdb.Command):
    """The frame allocator's statistics, in 4 KiB frames."""

    def __init__(self):
        super().__init__("rayos-frames", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        frames = kernel_global("mm::(anonymous namespace)::g_frames")["m_value"]
        # FrameAllocator::init points m_usable at the bitmaps: null until then.
        if int(frames["m_usable"]) == 0:
            gdb.write("frames (4 KiB): not initialised yet (mm::init_physical_memory has not run)\n")
            return
        print_fields("frames (4 KiB)", frames["m_statistics"])


def describe_entry(entry):
    flags = [name for bit, name in ((PAGE_PRESENT, "P"), (PAGE_WRITABLE, "W"), (PAGE_USER, "U"),
                                    (PAGE_LARGE, "PS")) if entry & bit]
    if entry & PAGE_NO_EXECUTE:
        flags.append("NX")
    return f"{entry:#018x} [{' '.join(flags) or '-'}]"


class RayosWalk(gdb.Command):
    """rayos-walk ADDRESS: the four-level walk from CR3, each entry with its
    flags, then the physical address and the rights the walk grants."""

    def __init__(self):
        super().__init__("rayos-walk", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        if not argument:
            raise gdb.GdbError("usage: rayos-walk ADDRESS")
        value = gdb.parse_and_eval(argument)
        if value.type.code == gdb.TYPE_CODE_FUNC:
            value = value.address  # a function's name: where its code is
        address = int(value) & 0xFFFFFFFFFFFFFFFF
        table = int(gdb.parse_and_eval("$cr3")) & ADDRESS_MASK
        writable, executable = True, True
        gdb.write(f"walk of {address:#018x} from CR3 {table:#x}\n")
        for level, shift in (("PML4", 39), ("PDPT", 30), ("PD", 21), ("PT", 12)):
            index = (address >> shift) & 0x1FF
            entry = read_u64(DIRECT_MAP_BASE + table + index * 8)
            gdb.write(f"  {level:<4} [{index:3}] {describe_entry(entry)}\n")
            if not entry & PAGE_PRESENT:
                gdb.write(f"not mapped (no {level} entry)\n")
                return
            writable &= bool(entry & PAGE_WRITABLE)
            executable &= not entry & PAGE_NO_EXECUTE
            if entry & PAGE_LARGE or level == "PT":
                page_size = 1 << shift
                physical = (entry & ADDRESS_MASK & ~(page_size - 1)) + (address & (page_size - 1))
                rights = "R" + ("W" if writable else "") + ("X" if executable else "")
                gdb.write(f"mapped: physical {physical:#x}, {page_size // 1024} KiB page, {rights}\n")
                return
            table = entry & ADDRESS_MASK


class RayosIdt(gdb.Command):
    """rayos-idt VECTOR: the gate the CPU uses for the vector."""

    def __init__(self):
        super().__init__("rayos-idt", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        if not argument:
            raise gdb.GdbError("usage: rayos-idt VECTOR")
        vector = int(gdb.parse_and_eval(argument))
        if not 0 <= vector < 256:
            raise gdb.GdbError("a vector is 0 to 255")
        gate = kernel_global("arch::(anonymous namespace)::g_idt")[vector]
        handler = (int(gate["offset_low"]) | int(gate["offset_middle"]) << 16 | int(gate["offset_high"]) << 32)
        attributes = int(gate["type_attributes"])
        kind = {0xE: "interrupt gate", 0xF: "trap gate"}.get(attributes & 0xF, f"type {attributes & 0xF:#x}")
        symbol = gdb.execute(f"info symbol {handler:#x}", to_string=True).strip()
        gdb.write(f"vector {vector}: handler {handler:#018x} ({symbol})\n")
        gdb.write(f"  selector {int(gate['selector']):#06x}, {kind}, DPL {(attributes >> 5) & 3}, "
                  f"{'present' if attributes & 0x80 else 'NOT present'}, "
                  f"IST {int(gate['ist']) & 7 or 'none'}\n")


class RayosLog(gdb.Command):
    """rayos-log [BYTES]: the kernel log kept in memory, oldest first."""

    def __init__(self):
        super().__init__("rayos-log", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        history = kernel_global("kernel::(anonymous namespace)::g_history")
        written = int(kernel_global("kernel::(anonymous namespace)::g_history_written"))
        size = int(history.type.sizeof)
        address = int(gdb.parse_and_eval("&'kernel::(anonymous namespace)::g_history'"))
        data = bytes(gdb.selected_inferior().read_memory(address, size))
        start = written % size
        text = data[:written] if written <= size else data[start:] + data[:start]
        if argument:
            text = text[-int(gdb.parse_and_eval(argument)):]
        gdb.write(text.decode("utf-8", errors="replace"))
        if text and not text.endswith(b"\n"):
            gdb.write("\n")


for command in (RayosHeap, RayosFrames, RayosWalk, RayosIdt, RayosLog):
    command()
