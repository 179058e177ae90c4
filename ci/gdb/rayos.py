"""gdb commands that read RayOS's state from a stopped kernel (ci/debug.sh
loads this after rayos.gdb). They only read memory: nothing runs in the
kernel, so they are safe at any stop, even with a lock held.

  rayos-heap          the kernel heap's statistics
  rayos-frames        the frame allocator's statistics
  rayos-walk ADDRESS  the page-table walk for a virtual address, from CR3
  rayos-idt VECTOR    the IDT gate for a vector, its handler and stack
  rayos-log [BYTES]   the kernel log as kept in memory (the last 16 KiB)
  rayos-threads       every kernel thread: ID, name, state, CPU, backtrace
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


# src/arch/x86_64/thread_context.cpp, SwitchFrame: what the context switch
# (asm/context_switch.asm) leaves at a stopped thread's saved stack pointer.
SWITCH_FRAME_RBP, SWITCH_FRAME_RETURN = 40, 48
MAX_FRAMES = 64


def describe_code_address(address, is_return_address=True):
    """'name + offset at file:line' from gdb's own symbols. For a return
    address the call is the byte before it (a call that never returns may
    be a function's last instruction): look that byte up."""
    lookup = address - 1 if is_return_address else address
    text = gdb.execute(f"info symbol {lookup:#x}", to_string=True).strip()
    if text.startswith("No symbol matches"):
        return "??"
    symbol = text.partition(" in section ")[0]
    name, plus, offset = symbol.rpartition(" + ")
    if not plus:
        name, offset = symbol, "0"
    offset = int(offset) + (address - lookup)
    line = gdb.find_pc_line(lookup)
    where = f" at {line.symtab.filename}:{line.line}" if line.symtab is not None else ""
    return f"{name} + {offset}{where}"


def frame_pointer_walk(return_address, frame_pointer, stack_bottom, stack_top):
    """Return addresses from a first one and the frame-pointer chain:
    [rbp] is the caller's rbp, [rbp+8] the return address; the chain ends
    at 0 (a new thread's first frame) or where it leaves the stack."""
    addresses = [return_address]
    while frame_pointer != 0 and len(addresses) < MAX_FRAMES:
        if not stack_bottom <= frame_pointer < stack_top - 8 or frame_pointer % 8:
            addresses.append(f"(frame pointer {frame_pointer:#x} outside the thread's stack: walk ends)")
            break
        try:
            caller_frame_pointer, caller = read_u64(frame_pointer), read_u64(frame_pointer + 8)
        except gdb.MemoryError:
            addresses.append(f"(frame pointer {frame_pointer:#x} unreadable: walk ends)")
            break
        if caller == 0:
            break
        addresses.append(caller)
        if caller_frame_pointer != 0 and caller_frame_pointer <= frame_pointer:
            addresses.append(f"(frame pointer goes down to {caller_frame_pointer:#x}: walk ends)")
            break
        frame_pointer = caller_frame_pointer
    return addresses


def write_frames(frames):
    """One line a frame, each an (address, description) pair; a string in
    the list is a note on why a walk ended."""
    for number, frame in enumerate(frames):
        if isinstance(frame, str):
            gdb.write(f"    {frame}\n")
            continue
        address, description = frame
        gdb.write(f"    #{number:<2} {address:#018x} in {description}\n")


def saved_frames(return_address, frame_pointer, stack_bottom, stack_top):
    """The frames of a thread that is not running, from its SwitchFrame."""
    if frame_pointer == 0 and return_address == int(gdb.parse_and_eval("(unsigned long)&thread_entry_trampoline")):
        return ["(not started yet: its first switch enters thread_entry_trampoline)"]
    return [address if isinstance(address, str) else (address, describe_code_address(address))
            for address in frame_pointer_walk(return_address, frame_pointer, stack_bottom, stack_top)]


def threads_by_cpu():
    """{address of the thread a CPU runs: (CPU index, gdb thread)}, from each
    CPU's GS base (its arch::PerCpu block) as QEMU's stub reports it."""
    running = {}
    per_cpu = gdb.lookup_type("arch::PerCpu").pointer()
    selected = gdb.selected_thread()
    try:
        for gdb_thread in gdb.selected_inferior().threads():
            gdb_thread.switch()
            block = int(gdb.parse_and_eval("$gs_base"))
            if block == 0:
                continue  # a CPU not yet in the kernel's long mode
            cpu = gdb.Value(block).cast(per_cpu).dereference()
            current = int(cpu["current_thread"])
            if current != 0:
                running[current] = (int(cpu["index"]), gdb_thread)
    finally:
        selected.switch()
    return running


def live_frames(gdb_thread):
    """The backtrace of a running CPU by gdb's own unwinder (which knows
    inlined calls), up to the first frame outside the kernel's code."""
    selected = gdb.selected_thread()
    lines = []
    try:
        gdb_thread.switch()
        frame = gdb.newest_frame()
        while frame is not None and len(lines) < MAX_FRAMES:
            pc = frame.pc()
            if frame.type() == gdb.INLINE_FRAME:
                line = frame.find_sal()
                where = f" at {line.symtab.filename}:{line.line}" if line.symtab is not None else ""
                lines.append((pc, f"{frame.name()} (inlined){where}"))
            else:
                # Frame 0 is where the CPU is; the others are return addresses.
                described = describe_code_address(pc, is_return_address=bool(lines))
                if described == "??":
                    break
                lines.append((pc, described))
            frame = frame.older()
    except gdb.error as error:
        lines.append(f"(unwinding stopped: {error})")
    finally:
        selected.switch()
    return lines


class RayosThreads(gdb.Command):
    """Every kernel thread on the list sched::g_threads heads: ID, name,
    state, CPU; a thread that is not running gets the backtrace of its
    saved registers (the context switch's frame, then the frame-pointer
    chain); a running one the backtrace of the CPU that runs it."""

    def __init__(self):
        super().__init__("rayos-threads", gdb.COMMAND_DATA)

    def invoke(self, argument, from_tty):
        threads = kernel_global("sched::(anonymous namespace)::g_threads")["m_value"]
        states = {int(field.enumval): field.name.rpartition("::")[2].lower()
                  for field in gdb.lookup_type("sched::ThreadState").fields()}
        running = threads_by_cpu()
        thread, listed = threads["head"], 0
        if int(thread) == 0:
            gdb.write("no threads (sched::start_scheduler has not run)\n")
            return
        while int(thread) != 0 and listed < int(threads["count"]) + 16:
            self.write_thread(thread.dereference(), int(thread), states, running)
            thread, listed = thread["m_all_next"], listed + 1
        gdb.write(f"{listed} threads (the list counts {int(threads['count'])})\n")

    @staticmethod
    def write_thread(thread, address, states, running):
        state = states.get(int(thread["m_state"]["m_value"]["m_value"]), "?")
        name = thread["m_name"].string()
        gdb.write(f"thread {int(thread['m_id'])} '{name}' {state}, CPU {int(thread['m_cpu'])} "
                  f"(at {address:#x})\n")
        if address in running:
            cpu, gdb_thread = running[address]
            gdb.write(f"  running on CPU {cpu} (gdb thread {gdb_thread.num}):\n")
            write_frames(live_frames(gdb_thread))
            return
        saved = int(thread["m_context"]["stack_pointer"])
        if state == "running" or saved == 0:
            gdb.write("  no saved registers (no CPU runs it: caught in the middle of a switch)\n")
            return
        bottom, top = int(thread["m_stack_bottom"]), int(thread["m_stack_top"])
        gdb.write(f"  saved stack pointer {saved:#x} (stack {bottom:#x}-{top:#x}):\n")
        write_frames(saved_frames(read_u64(saved + SWITCH_FRAME_RETURN), read_u64(saved + SWITCH_FRAME_RBP),
                                  bottom, top))


for command in (RayosHeap, RayosFrames, RayosWalk, RayosIdt, RayosLog, RayosThreads):
    command()
