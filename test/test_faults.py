"""Fault injection (fault=<kind>): every fault ends in a report whose fields
are right, a symbolized backtrace that agrees with addr2line, a [PANIC]
line and the failure exit; a breakpoint is reported and survived."""

import bisect
import re
import subprocess
from pathlib import Path
from types import MappingProxyType

import pytest

from harness.elf import KernelElf, once_per_build
from harness.outcome import EXIT_FAILURE, Outcome

UNMAPPED_ADDRESS = 0x0000100000000000     # src/arch/fault_triggers.h
NON_CANONICAL_ADDRESS = 0x8000000000000000

BACKTRACE_LINE = re.compile(r"^\[FAULT\]   #(\d+) (0x[0-9a-f]{16}) (.+?)(?:\+(0x[0-9a-f]+))?$")
# An exception report's backtrace starts with the faulting RIP (#0); a
# panic's holds only return addresses, #0 into the code that called
# kernel::panic_arguments.
EXCEPTION_BACKTRACE = "[FAULT] backtrace:"
PANIC_BACKTRACE = "[FAULT] backtrace of the panic:"
PANIC_FUNCTION = "kernel::panic_arguments("
FIRST_KERNEL_FRAME = "higher_half_entry"
# Every [FAULT] report names the CPU in its first line, every [PANIC] line at
# its end: with one CPU (QEMU's default -smp 1), the boot CPU, number 0.
ON_BOOT_CPU = " on CPU 0"


@once_per_build
def elf_symbols(kernel_elf):
    return MappingProxyType(KernelElf(kernel_elf).symbols())


def address_of(kernel_elf, part):
    """The address of the one ELF symbol whose (mangled) name contains part."""
    matches = {value for name, value in elf_symbols(kernel_elf).items() if part in name}
    assert len(matches) == 1, f"{part!r}: {matches}"
    return matches.pop()


@once_per_build
def nm_addresses(kernel_elf):
    """Demangled name -> address, as the kernel's table names functions."""
    output = subprocess.run(["nm", "--defined-only", "-C", str(kernel_elf)], capture_output=True, text=True,
                            check=True).stdout
    return MappingProxyType({line[19:]: int(line[:16], 16) for line in output.splitlines() if len(line) > 19})


def addr2line_functions(kernel_elf, address):
    output = subprocess.run(["addr2line", "-f", "-C", "-i", "-e", str(kernel_elf), hex(address)],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    return output[0::2]


class KernelCode:
    """The oracle for backtraces, from build/rayos.elf alone: which function
    holds an address (the ELF symbol table), which instruction comes before a
    return address and what it calls (objdump), and which functions' addresses
    are stored in data (the targets an indirect call can reach)."""

    CALL = re.compile(r"^\s*([0-9a-f]+):\s+call\s+(.*)$")
    INSTRUCTION = re.compile(r"^\s*([0-9a-f]+):\s")
    TAKEN_ADDRESS = re.compile(r"^\s*[0-9a-f]+:\s+(?:mov|lea)\S*\s+(?:\$0x([0-9a-f]{16}),|.*# ([0-9a-f]{16}) <)",
                               re.MULTILINE)

    def __init__(self, kernel_elf):
        self.path = kernel_elf
        elf = KernelElf(kernel_elf)
        _low, high = elf.section_bounds(".text")
        starts = elf.text_symbols()
        data = elf.data_bytes()
        self.starts = tuple(sorted(starts))
        self.text_end = high
        names = subprocess.run(["c++filt"], input="\n".join(starts[a] for a in self.starts), capture_output=True,
                               text=True, check=True).stdout.splitlines()
        self.names = MappingProxyType(dict(zip(self.starts, names)))
        # Addresses a pointer can hold: words stored in the data, and
        # addresses the code takes as an immediate (mov $function, %rsi)
        # or RIP-relative (lea function(%rip): objdump's "# address <name>").
        self.stored_words = {int.from_bytes(data[i:i + 8], "little") for i in range(0, len(data) - 7)}
        listing = subprocess.run(["objdump", "-d", "-w", "--no-show-raw-insn", str(kernel_elf)],
                                 capture_output=True, text=True, check=True).stdout
        self.stored_words = frozenset(self.stored_words | {int(value, 16) for values in
                                                           self.TAKEN_ADDRESS.findall(listing)
                                                           for value in values if value})

    @staticmethod
    @once_per_build
    def of(kernel_elf):
        """The KernelCode of an ELF, read once per build of it (an objdump
        of the whole kernel each time cost half a second a test)."""
        return KernelCode(kernel_elf)

    def function_at(self, address):
        """(start, demangled name) of the function holding address, or None outside .text."""
        index = bisect.bisect_right(self.starts, address) - 1
        if index < 0 or address >= self.text_end:
            return None
        start = self.starts[index]
        return start, self.names[start]

    def start_of(self, name):
        starts = [start for start, known in self.names.items() if known == name]
        assert len(starts) == 1, f"{name!r}: {starts}"
        return starts[0]

    def call_before(self, return_address):
        """The instruction that ends at return_address, decoded from the start
        of its function: ("direct", target), ("indirect", operand), or
        ("not a call", text)."""
        start, _ = self.function_at(return_address - 1)
        lines = subprocess.run(["objdump", "-d", "-w", "--no-show-raw-insn", f"--start-address={start:#x}",
                                f"--stop-address={return_address + 16:#x}", str(self.path)],
                               capture_output=True, text=True, check=True).stdout.splitlines()
        instructions = [line for line in lines if self.INSTRUCTION.match(line)]
        addresses = [int(self.INSTRUCTION.match(line).group(1), 16) for line in instructions]
        assert return_address in addresses, f"{return_address:#x} is not an instruction boundary"
        before = instructions[addresses.index(return_address) - 1]
        call = self.CALL.match(before)
        if not call:
            return "not a call", before.strip()
        operand = call.group(2)
        if operand.startswith("*"):
            return "indirect", operand
        return "direct", int(operand.split()[0], 16)


def without_clone_suffix(name):
    """The function a GCC clone (.isra, .constprop, the .cold part) was made from."""
    return re.sub(r"( \[clone \.[\w.]+\])+$|\.cold$", "", name)


def same_function(kernel_name, addr2line_name, addresses):
    """Whether addr2line's name for a function is the kernel's (nm's) one.
    addr2line names C++ functions from DWARF: without GCC's clone suffixes,
    and a function with internal linkage by its bare name. For assembly it
    falls back to the ELF symbol at the same address (e.g. __kernel_start)."""
    if addresses.get(addr2line_name) == addresses.get(kernel_name) is not None:
        return True
    base = without_clone_suffix(kernel_name)
    if addr2line_name == base:
        return True
    bare = re.match(r"^(?:[\w()\s]+::)*(~?\w+)(<.*>)?\(", base.replace("(anonymous namespace)", "anonymous"))
    # DWARF spells template arguments its own way (long int for long).
    return "::" not in addr2line_name and bare is not None and bare.group(1) == re.sub(r"<.*>$", "", addr2line_name)


def backtrace(result):
    return [BACKTRACE_LINE.match(line) for line in result.lines if BACKTRACE_LINE.match(line)]


def field(result, pattern):
    for line in result.lines:
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matches {pattern!r}")


def assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger=None,
                                           first_frame=FIRST_KERNEL_FRAME, passes="kernel_main"):
    """Every named frame is the function addr2line finds there; every caller's
    return address follows a call to the frame below it, so no frame is
    missing; the walk passes trigger (when given) and `passes` and ends at
    first_frame (an AP's walk ends in ap_entry, through its idle loop)."""
    frames = backtrace(result)
    assert frames, "no backtrace"
    from_panic = PANIC_BACKTRACE in result.lines
    assert from_panic != (EXCEPTION_BACKTRACE in result.lines), "exactly one backtrace, of the fault or of the panic"
    assert [int(frame.group(1)) for frame in frames] == list(range(len(frames)))
    addresses = nm_addresses(kernel_elf)
    code = KernelCode.of(kernel_elf)
    functions = []
    for frame in frames:
        index, address, name = int(frame.group(1)), int(frame.group(2), 16), frame.group(3)
        # Return addresses point after the call: look up the call itself.
        is_return_address = from_panic or index > 0
        lookup = address - 1 if is_return_address else address
        function = code.function_at(lookup)
        functions.append(function)
        if name == "(no symbol)":
            assert function is None, f"frame #{index} {address:#x}: the ELF has {function} there"
            continue
        resolved = addr2line_functions(kernel_elf, lookup)
        # The last of addr2line's inline chain is the function the code was
        # compiled into: the one the kernel must name.
        assert same_function(name, resolved[-1], addresses), (
            f"frame #{index} {address:#x}: kernel says {name!r}, addr2line says {resolved}")
        assert function is not None and function[1] == name, f"frame #{index}: the ELF's symbol is {function}"

    def assert_calls(index, callee_start, callee_name):
        address = int(frames[index].group(2), 16)
        kind, target = code.call_before(address)
        where = f"frame #{index} {address:#x} in {functions[index][1]}"
        assert kind != "not a call", f"{where}: the instruction before is {target!r}, not a call"
        if kind == "direct":
            assert target == callee_start, (f"{where} calls {code.names.get(target, hex(target))}, "
                                            f"not {callee_name}: a frame is missing between them")
        else:
            # Through a pointer: the callee must be a function whose address
            # the kernel stores somewhere (a table entry, a callback).
            assert callee_start in code.stored_words or callee_name == "(no symbol)", (
                f"{where} calls {target}, which cannot reach {callee_name}: its address is stored nowhere")

    if from_panic:
        # The function's entry, not a clone GCC split off it ([clone .cold]).
        panic_entry = next(name for name in code.names.values()
                           if name.startswith(PANIC_FUNCTION) and "[clone " not in name)
        assert_calls(0, code.start_of(panic_entry), PANIC_FUNCTION)
    for index in range(1, len(frames)):
        callee = functions[index - 1]
        if callee is None:
            # A RIP outside every function (a jump into data or the heap):
            # only a call whose target is that very address can lead there.
            assert_calls(index, int(frames[index - 1].group(2), 16), "(no symbol)")
            continue
        start, name = callee
        # The cold part of a function split by GCC is entered by a jump
        # from its hot part: the call went to the hot part.
        if name.endswith(".cold") or name.endswith(" [clone .cold]"):
            start = code.start_of(re.sub(r"( \[clone \.cold\]|\.cold)$", "", name))
        assert_calls(index, start, name)
    names = [frame.group(3) for frame in frames]
    assert names[-1] == first_frame, f"the walk should reach the first kernel frame: {names}"
    assert passes in names, names
    if trigger is not None:
        assert trigger in map(without_clone_suffix, names), f"{trigger} is missing from {names}"


def assert_fatal_report(result, mnemonic, vector, rip_function, on_cpu=ON_BOOT_CPU):
    assert result.outcome is Outcome.PANIC, result.reason
    assert result.exit_status == EXIT_FAILURE
    name = {"#DE": "Divide Error", "#UD": "Invalid Opcode", "#GP": "General Protection",
            "#PF": "Page Fault", "#DF": "Double Fault"}[mnemonic]
    assert f"[FAULT] {mnemonic} {name} (vector {vector}) in kernel mode{on_cpu}" in result.lines
    rip = field(result, r"^\[FAULT\]   RIP (0x[0-9a-f]{16}) (.+)\+(0x[0-9a-f]+)$")
    assert rip.group(2) == rip_function
    # The panic line names the fault's site (the RIP reported), not the
    # handler's own file:line.
    assert result.kernel_lines[-1] == (f"[PANIC] unhandled {mnemonic} {name} in kernel mode at {rip.group(1)} "
                                       f"{rip.group(2)}+{rip.group(3)}{on_cpu}"), result.kernel_lines[-1]
    for register in ("RSP", "RFLAGS", "CR0", "CR3", "CR4", "RAX", "RBX", "R15"):
        assert any(f" {register} 0x" in line for line in result.lines_with("[FAULT]")), register


def page_fault_fields(result):
    code = int(field(result, r"error code (0x[0-9a-f]+): ").group(1), 16)
    cr2 = int(field(result, r"CR2 (0x[0-9a-f]+) \(the address accessed\)").group(1), 16)
    return code, cr2


PF_PRESENT, PF_WRITE, PF_USER, PF_FETCH = 1, 2, 4, 16


@pytest.mark.parametrize("kind, mnemonic, vector, function", [
    ("divide-by-zero", "#DE", 0, "arch::trigger_divide_by_zero()"),
    ("invalid-opcode", "#UD", 6, "arch::trigger_invalid_opcode()"),
    ("general-protection", "#GP", 13, "arch::trigger_general_protection()"),
])
def test_cpu_exception_report(boot, kernel_elf, kind, mnemonic, vector, function):
    result = boot(cmdline=f"exit fault={kind}", trace_interrupts=True)
    assert_fatal_report(result, mnemonic, vector, function)
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger=function)
    if mnemonic == "#GP":
        assert "[FAULT]   error code 0x0: not caused by a segment selector" in result.lines
        assert int(field(result, r" RAX (0x[0-9a-f]+)").group(1), 16) == NON_CANONICAL_ADDRESS


def test_page_fault_on_unmapped_read(boot, each_kernel):
    iso, kernel_elf = each_kernel
    result = boot(cmdline="exit fault=unmapped-read", trace_interrupts=True, iso=iso)
    assert_fatal_report(result, "#PF", 14, "arch::trigger_unmapped_read()")
    code, cr2 = page_fault_fields(result)
    assert (code, cr2) == (0, UNMAPPED_ADDRESS)
    assert "[FAULT]   error code 0x0: not-present page, read, supervisor" in result.lines
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger="arch::trigger_unmapped_read()")


def test_page_fault_on_null_pointer(boot, kernel_elf):
    result = boot(cmdline="exit fault=null-pointer", trace_interrupts=True)
    assert_fatal_report(result, "#PF", 14, "arch::trigger_null_pointer_read()")
    assert page_fault_fields(result) == (0, 0)
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger="arch::trigger_null_pointer_read()")


def test_page_fault_on_write_to_rodata(boot, kernel_elf):
    result = boot(cmdline="exit fault=read-only-write", trace_interrupts=True)
    assert_fatal_report(result, "#PF", 14, "arch::trigger_read_only_write()")
    code, cr2 = page_fault_fields(result)
    assert code == PF_PRESENT | PF_WRITE
    assert cr2 == address_of(kernel_elf, "g_read_only_word")
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger="arch::trigger_read_only_write()")


def test_page_fault_on_instruction_fetch_from_no_execute_data(boot, kernel_elf):
    result = boot(cmdline="exit fault=no-execute-fetch", cpu="max", trace_interrupts=True)
    assert result.outcome is Outcome.PANIC, result.reason
    code, cr2 = page_fault_fields(result)
    assert code == PF_PRESENT | PF_FETCH
    data_code = address_of(kernel_elf, "g_code_in_data")
    # The CPU faulted fetching the first instruction there: RIP is CR2.
    assert cr2 == data_code
    assert int(field(result, r"RIP (0x[0-9a-f]{16})").group(1), 16) == data_code
    # The function that made the call has not lost its frame: #1 is the
    # trigger, whose call the fetch never completed.
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger="arch::trigger_no_execute_fetch()")


def test_stack_overflow_hits_the_guard_page_and_reports_on_the_double_fault_stack(boot, kernel_elf):
    result = boot(cmdline="exit fault=stack-overflow", trace_interrupts=True)
    assert_fatal_report(result, "#DF", 8,
                        "arch::(anonymous namespace)::recurse_one_page_deeper(unsigned long) [clone .isra.0]")
    # The boot CPU's stack is the thread 'main''s once the scheduler runs.
    guard = field(result, r"stack overflow: guard page (0x[0-9a-f]+) of the kernel stack of thread 'main' "
                          r"\(id \d+\) \((0x[0-9a-f]+)-(0x[0-9a-f]+)\) was hit")
    symbols = elf_symbols(kernel_elf)
    assert int(guard.group(1), 16) == symbols["kernel_stack_guard"]
    assert int(guard.group(2), 16) == symbols["kernel_stack_bottom"]
    # The report ran on the #DF IST stack: its RSP is the faulting one, inside the guard page.
    rsp = int(field(result, r" RSP (0x[0-9a-f]+)").group(1), 16)
    assert symbols["kernel_stack_guard"] <= rsp < symbols["kernel_stack_bottom"] + 4096
    assert "Triple fault" not in result.qemu_log
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger="arch::trigger_stack_overflow()")


def test_breakpoint_is_reported_and_survived(boot, kernel_elf):
    result = boot(cmdline="exit fault=breakpoint", trace_interrupts=True)
    assert result.outcome is Outcome.PASSED, result.reason
    index = result.lines.index(f"[FAULT] #BP Breakpoint (vector 3) in kernel mode{ON_BOOT_CPU}: resuming")
    # RIP is just past the int3: find it in the function's code.
    code = KernelCode.of(kernel_elf)
    start = code.start_of("arch::trigger_breakpoint()")
    disassembly = subprocess.run(["objdump", "-d", "-w", "--no-show-raw-insn", f"--start-address={start:#x}",
                                  f"--stop-address={start + 64:#x}", str(kernel_elf)],
                                 capture_output=True, text=True, check=True).stdout
    int3 = int(re.search(r"^\s*([0-9a-f]+):\s+int3\s*$", disassembly, re.MULTILINE).group(1), 16)
    assert result.lines[index + 1] == f"[FAULT]   RIP {int3 + 1:#018x} arch::trigger_breakpoint()+{int3 + 1 - start:#x}"
    assert result.lines[index + 2] == "[BOOT] fault injection: survived the breakpoint"
    assert result.kernel_lines[-1].startswith("[BOOT] RayOS ready")


def test_smashed_stack_canary_is_caught_and_names_the_function(boot, kernel_elf):
    result = boot(cmdline="exit fault=stack-smash")
    assert result.outcome is Outcome.PANIC, result.reason
    assert re.match(r"^\[PANIC\] stack smashing detected in kernel::\(anonymous namespace\)::smash_the_stack\(\) "
                    r"\(canary overwritten; return address 0xffffffff8[0-9a-f]+\) "
                    rf"\(src/kernel/stack_protector\.cpp:\d+\){ON_BOOT_CPU}$",
                    result.kernel_lines[-1]), result.kernel_lines[-1]
    assert_backtrace_agrees_with_addr2line(result, kernel_elf,
                                           trigger="kernel::(anonymous namespace)::smash_the_stack()")


def test_requested_panic_prints_the_backtrace_of_where_it_was_raised(boot, each_kernel):
    iso, kernel_elf = each_kernel
    result = boot(cmdline="exit fault=panic", iso=iso)
    assert result.outcome is Outcome.PANIC, result.reason
    assert re.match(r"^\[PANIC\] fault injection: panic requested on the command line "
                    rf"\(src/kernel/fault_injection\.cpp:\d+\){ON_BOOT_CPU}$",
                    result.kernel_lines[-1]), result.kernel_lines[-1]
    assert_backtrace_agrees_with_addr2line(result, kernel_elf,
                                           trigger="kernel::(anonymous namespace)::requested_panic()")


def test_a_corrupt_frame_pointer_ends_the_backtrace_without_a_second_fault(boot, kernel_elf):
    result = boot(cmdline="exit fault=corrupt-frame-pointer", trace_interrupts=True)
    assert_fatal_report(result, "#UD", 6, "arch::trigger_invalid_opcode_with_corrupt_frame_pointer()")
    assert int(field(result, r" RBP (0x[0-9a-f]+)").group(1), 16) == UNMAPPED_ADDRESS + 0x10
    # Only the faulting RIP: the chain from RBP could not be followed.
    assert [frame.group(3) for frame in backtrace(result)] == [
        "arch::trigger_invalid_opcode_with_corrupt_frame_pointer()"]
    assert "nested exception" not in "\n".join(result.lines)


UBSAN_TRIGGERS = Path(__file__).resolve().parent.parent / "src/kernel/ubsan_triggers.cpp"


def lines_of_function(source, name):
    """The line numbers of a function's body in a C++ file, by its braces."""
    lines = source.read_text().splitlines()
    start = next(i for i, line in enumerate(lines, 1) if re.search(rf"\b{name}\(\)$", line))
    end = next(i for i, line in enumerate(lines, 1) if i > start and line == "}")
    return range(start, end + 1)


@pytest.mark.parametrize("kind, function, message", [
    ("signed-overflow", "ubsan_signed_overflow", r"signed integer overflow: 2147483647 \+ 1 in type 'int'"),
    ("shift", "ubsan_shift_out_of_bounds", "shift exponent 40 is too large for 32-bit type 'int'"),
    ("misaligned", "ubsan_misaligned_access",
     r"load of misaligned address 0x[0-9a-f]+ for type 'volatile unsigned int', which needs 4-byte alignment"),
    ("out-of-bounds", "ubsan_index_out_of_bounds", r"index 4 out of bounds for type 'int \[4\]'"),
    ("null", "ubsan_null_dereference", "load of null pointer of type 'volatile int32_t'"),
    ("unreachable", "ubsan_unreachable", "execution reached an unreachable program point"),
    ("invalid-bool", "ubsan_invalid_bool", "load of value 2 is not valid for type 'bool'"),
    ("division-by-zero", "ubsan_division_by_zero", "division by zero in type 'int'"),
])
def test_undefined_behaviour_is_caught_and_named_where_it_happens(boot, kernel_elf, kind, function, message):
    result = boot(cmdline=f"exit fault=ubsan-{kind}")
    assert result.outcome is Outcome.PANIC, result.reason
    line = result.kernel_lines[-1]
    match = re.match(rf"^\[PANIC\] UBSan: {message} \(column \d+\) "
                     rf"\(src/kernel/ubsan_triggers\.cpp:(\d+)\){ON_BOOT_CPU}$", line)
    assert match, line
    assert int(match.group(1)) in lines_of_function(UBSAN_TRIGGERS, f"void {function}")
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger=f"kernel::{function}()")


def test_write_to_data_sealed_read_only_after_boot_faults(boot, kernel_elf):
    result = boot(cmdline="exit fault=ro-after-init-write", trace_interrupts=True)
    assert_fatal_report(result, "#PF", 14, "kernel::(anonymous namespace)::overwrite_the_stack_guard()")
    code, cr2 = page_fault_fields(result)
    assert code == PF_PRESENT | PF_WRITE
    symbols = elf_symbols(kernel_elf)
    assert cr2 == symbols["__stack_chk_guard"]
    assert symbols["__ro_after_init_start"] <= cr2 < symbols["__ro_after_init_end"]
    assert any(line.startswith("[MEM] read-only after init: ") and "(IDT, GDT, TSS, stack protector guard) sealed"
               in line for line in result.lines)
    assert_backtrace_agrees_with_addr2line(result, kernel_elf,
                                           trigger="kernel::(anonymous namespace)::overwrite_the_stack_guard()")


@pytest.mark.parametrize("cpu, source", [(None, "the TSC"), ("max", "RDRAND")])
def test_stack_protector_guard_is_seeded_at_boot(boot, cpu, source):
    result = boot(cpu=cpu)
    assert result.outcome is Outcome.PASSED, result.reason
    assert any(line.endswith(f"stack protector guard from {source}")
               for line in result.lines_with("[BOOT] C++ runtime"))


HEAP_ARENA = 0xFFFFC10000000000  # src/mm/kernel_heap.h


def test_executing_from_the_heap_is_a_no_execute_page_fault(boot, kernel_elf):
    result = boot(cmdline="exit fault=heap-execute", trace_interrupts=True)
    assert result.outcome is Outcome.PANIC, result.reason
    block = int(field(result, r"^\[FAULT\] heap misuse: calling heap block (0x[0-9a-f]+)$").group(1), 16)
    assert HEAP_ARENA <= block < HEAP_ARENA + 2 * 2**20
    assert f"[FAULT] #PF Page Fault (vector 14) in kernel mode{ON_BOOT_CPU}" in result.lines
    code, cr2 = page_fault_fields(result)
    # Present but no-execute: the fetch of the block's first byte faulted.
    assert code == PF_PRESENT | PF_FETCH
    assert cr2 == block
    assert int(field(result, r"RIP (0x[0-9a-f]{16})").group(1), 16) == block
    # Frame 0 is the heap block itself; the walk goes on through named kernel code.
    frames = backtrace(result)
    assert frames[0].group(3) == "(no symbol)" and len(frames) >= 2
    assert all(frame.group(3) != "(no symbol)" for frame in frames[1:])
    assert re.match(r"^\[PANIC\] unhandled #PF Page Fault in kernel mode", result.kernel_lines[-1])
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger="mm::misuse_execute_heap_block()")


def heap_panic(result):
    assert result.outcome is Outcome.PANIC, result.reason
    assert result.exit_status == EXIT_FAILURE
    line = result.kernel_lines[-1]
    assert line.startswith("[PANIC] heap: "), line
    assert re.search(rf"\(src/mm/kernel_heap\.cpp:\d+\){ON_BOOT_CPU}$", line), line
    return line


HEAP_MISUSE = Path(__file__).resolve().parent.parent / "src/mm/heap_misuse.cpp"
BLOCK_HEADER_SIZE = 16  # src/mm/heap_allocator.h: each block's header


def test_write_after_free_is_caught_when_the_block_is_reused(boot, kernel_elf):
    result = boot(cmdline="exit fault=use-after-free")
    line = heap_panic(result)
    pointer = int(field(result, r"heap misuse: writing into (0x[0-9a-f]+) after freeing it;").group(1), 16)
    # Which byte the misuse writes, from its source.
    written = int(re.search(r"kByteWrittenAfterFree = (\d+);", HEAP_MISUSE.read_text()).group(1))
    # The report names the block (its header first) and the byte within it.
    block = pointer - BLOCK_HEADER_SIZE
    assert (f"[PANIC] heap: use after free: freed memory was written: block {block:#x}, "
            f"byte {BLOCK_HEADER_SIZE + written} ") in line
    # Named once, one way: no other line counts bytes into the block.
    assert [text for text in result.lines if re.search(r"\bbyte \d+", text)] == [line]
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger="mm::misuse_write_after_free()")


@pytest.mark.parametrize("kind, misuse, panic", [
    ("double-free", r"heap misuse: freeing (0x[0-9a-f]+) twice",
     "[PANIC] heap: double free of {} (the block was already freed)"),
    ("foreign-free", r"heap misuse: freeing (0x[0-9a-f]+), 32 bytes into block",
     "[PANIC] heap: free of a pointer the heap never returned: {} (it points inside a live block"),
    ("heap-header-overwrite", r"heap misuse: overwrote the header of (0x[0-9a-f]+);",
     "[PANIC] heap: block header overwritten: {} (magic or check value does not match)"),
])
def test_each_bad_free_is_named(boot, kernel_elf, kind, misuse, panic):
    result = boot(cmdline=f"exit fault={kind}")
    line = heap_panic(result)
    pointer = field(result, misuse).group(1)
    assert line.startswith(panic.format(pointer)), line
    trigger = {"double-free": "mm::misuse_double_free()", "foreign-free": "mm::misuse_free_foreign_pointer()",
               "heap-header-overwrite": "mm::misuse_overwrite_block_header()"}[kind]
    # The backtrace names who freed, and through which calls the heap found it.
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger=trigger)
    assert "mm::kfree(void*)" in [frame.group(3) for frame in backtrace(result)]


def test_fault_inside_the_fault_report_is_a_nested_exception_panic(boot):
    result = boot(cmdline="exit fault=nested", trace_interrupts=True)
    assert result.outcome is Outcome.PANIC, result.reason
    assert result.exit_status == EXIT_FAILURE
    assert f"[FAULT] #UD Invalid Opcode (vector 6) in kernel mode{ON_BOOT_CPU}" in result.lines
    assert re.match(r"^\[PANIC\] nested exception: #PF \(vector 14\) at RIP 0x[0-9a-f]+ "
                    rf"while handling #UD \(vector 6\){ON_BOOT_CPU}$", result.kernel_lines[-1]), result.kernel_lines[-1]
    assert "Triple fault" not in result.qemu_log


@pytest.mark.parametrize("kind", ["divide-by-zero", "null-pointer", "stack-overflow", "nested"])
def test_no_fault_ends_in_a_triple_fault(boot, kind):
    result = boot(cmdline=f"exit fault={kind}", trace_interrupts=True)
    assert result.outcome is Outcome.PANIC, result.reason
    assert "Triple fault" not in result.qemu_log


@pytest.mark.slow
@pytest.mark.uefi
def test_fault_report_under_uefi(boot, kernel_elf):
    # OVMF lays memory out differently from SeaBIOS; the protections and the
    # report must not depend on it.
    result = boot(cmdline="exit fault=null-pointer", firmware="uefi", timeout=90, trace_interrupts=True)
    assert_fatal_report(result, "#PF", 14, "arch::trigger_null_pointer_read()")
    assert page_fault_fields(result) == (0, 0)
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger="arch::trigger_null_pointer_read()")


# fault_cpu=<n>: the trigger runs on CPU n (as a job from its idle loop,
# kernel/cross_cpu_call.h). The report names that CPU, the other three are
# stopped by NMI before it prints, and nothing else is printed after the
# injection line.
AP_SMP = 4
ON_CPU_1 = " on CPU 1"
AP_FIRST_FRAME = "ap_entry"
AP_IDLE_LOOP = "sched::(anonymous namespace)::idle_loop()"
CPU_STACK_REGION_BASE = 0xFFFFC30000000000     # src/mm/cpu_stack_region.h
CPU_STACK_SLOT_BYTES = 128 * 1024


def boot_fault_on_cpu_1(boot, kind):
    result = boot(cmdline=f"exit fault={kind} fault_cpu=1", smp=AP_SMP, trace_interrupts=True)
    injected = result.kernel_lines.index(f"[BOOT] fault injection: {kind} on CPU 1")
    report = result.kernel_lines[injected + 1:]
    assert report[0] == f"[PANIC] other CPUs stopped: {AP_SMP - 1} of {AP_SMP - 1}", report[:3]
    others = [line for line in report if not line.startswith(("[FAULT]", "[PANIC]"))]
    assert not others, f"lines from elsewhere inside the report: {others}"
    assert all(line.endswith(ON_CPU_1) for line in report if line.startswith("[PANIC]") and " on CPU " in line)
    return result


@pytest.mark.parametrize("kind, mnemonic, vector, function", [
    ("unmapped-read", "#PF", 14, "arch::trigger_unmapped_read()"),
    ("general-protection", "#GP", 13, "arch::trigger_general_protection()"),
])
def test_cpu_exception_on_cpu_1_is_reported_like_on_the_boot_cpu(boot, kernel_elf, kind, mnemonic, vector, function):
    result = boot_fault_on_cpu_1(boot, kind)
    assert_fatal_report(result, mnemonic, vector, function, on_cpu=ON_CPU_1)
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger=function, first_frame=AP_FIRST_FRAME,
                                           passes=AP_IDLE_LOOP)
    if mnemonic == "#PF":
        assert page_fault_fields(result) == (0, UNMAPPED_ADDRESS)


def test_panic_on_cpu_1_is_reported_with_its_backtrace(boot, kernel_elf):
    result = boot_fault_on_cpu_1(boot, "panic")
    assert result.outcome is Outcome.PANIC, result.reason
    assert re.match(r"^\[PANIC\] fault injection: panic requested on the command line "
                    rf"\(src/kernel/fault_injection\.cpp:\d+\){ON_CPU_1}$",
                    result.kernel_lines[-1]), result.kernel_lines[-1]
    assert_backtrace_agrees_with_addr2line(result, kernel_elf,
                                           trigger="kernel::(anonymous namespace)::requested_panic()",
                                           first_frame=AP_FIRST_FRAME, passes=AP_IDLE_LOOP)


def test_stack_overflow_on_cpu_1_hits_the_guard_page_of_its_own_stack(boot, kernel_elf):
    result = boot_fault_on_cpu_1(boot, "stack-overflow")
    assert_fatal_report(result, "#DF", 8,
                        "arch::(anonymous namespace)::recurse_one_page_deeper(unsigned long) [clone .isra.0]",
                        on_cpu=ON_CPU_1)
    # An AP's boot stack is its idle thread's.
    guard = field(result, r"stack overflow: guard page (0x[0-9a-f]+) of the kernel stack of thread 'idle/1' "
                          r"\(id \d+\) \((0x[0-9a-f]+)-(0x[0-9a-f]+)\) was hit")
    guard_page, bottom = int(guard.group(1), 16), int(guard.group(2), 16)
    # CPU 1's slot in the CPU stack region, not the boot CPU's stack in the image.
    slot = CPU_STACK_REGION_BASE + 1 * CPU_STACK_SLOT_BYTES
    assert slot <= guard_page < slot + CPU_STACK_SLOT_BYTES, hex(guard_page)
    assert guard_page != elf_symbols(kernel_elf)["kernel_stack_guard"]
    assert bottom == guard_page + 4096
    rsp = int(field(result, r" RSP (0x[0-9a-f]+)").group(1), 16)
    assert guard_page <= rsp < bottom + 4096
    assert "Triple fault" not in result.qemu_log
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger="arch::trigger_stack_overflow()",
                                           first_frame=AP_FIRST_FRAME, passes=AP_IDLE_LOOP)


def test_a_fault_on_a_cpu_that_does_not_exist_is_refused_with_the_failure_exit(boot):
    result = boot(cmdline="exit fault=panic fault_cpu=1")
    assert result.outcome is Outcome.FAILURE_EXIT, result.reason
    assert result.exit_status == EXIT_FAILURE
    assert result.kernel_lines[-1] == ("[BOOT] fault injection: panic not injected: CPU 1 does not exist "
                                       "(1 CPUs online, numbered from 0)")
    assert not result.lines_with("[PANIC]")


# fault=thread-*: the fault happens in a spawned thread named 'faulty'
# (src/sched/thread_fault_triggers.cpp). Its stack is a slot of the thread
# stack region (src/sched/thread_stack.h): a guard page at the slot's start,
# then the 16 KiB stack.
THREAD_STACK_REGION_BASE = 0xFFFFC38000000000
THREAD_STACK_SLOT_BYTES = 32 * 1024
THREAD_STACK_SLOTS = 8192
THREAD_STACK_BYTES = 16 * 1024
THREAD_FIRST_FRAME = "thread_entry_trampoline"
THREAD_START = "sched::thread_start(void*)"


def faulty_thread(result):
    """The ID the trigger's spawn line gives 'faulty', checked against the
    report's thread line and the panic's; its stack (guard, bottom, top)
    checked against the thread stack region's layout."""
    spawned = int(field(result, r"^\[BOOT\] fault injection: thread 'faulty' \(id (\d+)\) spawned on CPU 0$")
                  .group(1))
    line = field(result, r"^\[FAULT\]   thread 'faulty' \(id (\d+)\), kernel stack (0x[0-9a-f]+)-(0x[0-9a-f]+), "
                         r"guard page (0x[0-9a-f]+)$")
    thread_id, bottom, top, guard = int(line.group(1)), *(int(line.group(i), 16) for i in (2, 3, 4))
    assert thread_id == spawned
    assert f"[PANIC] in thread 'faulty' (id {thread_id}):" in result.lines
    assert guard == bottom - 4096
    assert top == bottom + THREAD_STACK_BYTES
    slot, offset = divmod(guard - THREAD_STACK_REGION_BASE, THREAD_STACK_SLOT_BYTES)
    assert offset == 0 and 0 <= slot < THREAD_STACK_SLOTS, f"guard page {guard:#x} is not a slot's start"
    return thread_id, guard, bottom, top


def test_page_fault_in_a_thread_names_the_thread_and_its_stack(boot, kernel_elf):
    result = boot(cmdline="exit fault=thread-page-fault", trace_interrupts=True)
    assert_fatal_report(result, "#PF", 14, "arch::trigger_unmapped_read()")
    assert page_fault_fields(result) == (0, UNMAPPED_ADDRESS)
    _, _, bottom, top = faulty_thread(result)
    rsp = int(field(result, r" RSP (0x[0-9a-f]+)").group(1), 16)
    assert bottom <= rsp < top, f"RSP {rsp:#x} is not on the thread's stack"
    names = [frame.group(3) for frame in backtrace(result)]
    assert names[:3] == ["arch::trigger_unmapped_read()",
                         "sched::(anonymous namespace)::faulty_thread_reads_unmapped_memory(void*)", THREAD_START]
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger="arch::trigger_unmapped_read()",
                                           first_frame=THREAD_FIRST_FRAME, passes=THREAD_START)


def test_stack_overflow_in_a_thread_hits_its_own_guard_page(boot, kernel_elf):
    result = boot(cmdline="exit fault=thread-stack-overflow", trace_interrupts=True)
    assert_fatal_report(result, "#DF", 8,
                        "arch::(anonymous namespace)::recurse_one_page_deeper(unsigned long) [clone .isra.0]")
    thread_id, guard, bottom, top = faulty_thread(result)
    assert (f"[FAULT]   stack overflow: guard page {guard:#x} of the kernel stack of thread 'faulty' "
            f"(id {thread_id}) ({bottom:#x}-{top:#x}) was hit") in result.lines
    # Not the boot stack's guard: the thread's own.
    assert guard != elf_symbols(kernel_elf)["kernel_stack_guard"]
    rsp = int(field(result, r" RSP (0x[0-9a-f]+)").group(1), 16)
    assert guard <= rsp < bottom + 4096
    assert "Triple fault" not in result.qemu_log
    names = [without_clone_suffix(frame.group(3)) for frame in backtrace(result)]
    recursion = "arch::(anonymous namespace)::recurse_one_page_deeper(unsigned long)"
    depth = names.index("arch::trigger_stack_overflow()")
    assert depth >= 2 and set(names[:depth]) == {recursion}, names
    assert names[depth + 1:depth + 3] == [
        "sched::(anonymous namespace)::faulty_thread_overflows_its_stack(void*)", THREAD_START]
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger="arch::trigger_stack_overflow()",
                                           first_frame=THREAD_FIRST_FRAME, passes=THREAD_START)


# fault=thread-stack-given-back-twice (src/sched/thread_stack_misuse.cpp):
# cached twice, a stack would go to two threads at once; the cache panics
# and names the stack, a slot of the thread stack region. Two stacks go
# back, then the first again: under the second, not on top of the cache.
def test_a_thread_stack_given_back_twice_is_named(boot, kernel_elf):
    result = boot(cmdline="exit fault=thread-stack-given-back-twice")
    assert result.outcome is Outcome.PANIC, result.reason
    assert result.exit_status == EXIT_FAILURE
    misuse = field(result, r"^\[FAULT\] thread stack misuse: gave back the stacks at (0x[0-9a-f]+) and "
                           r"(0x[0-9a-f]+); giving back the first again$")
    bottom, other = int(misuse.group(1), 16), int(misuse.group(2), 16)
    assert bottom != other
    for stack in (bottom, other):
        slot, offset = divmod(stack - 4096 - THREAD_STACK_REGION_BASE, THREAD_STACK_SLOT_BYTES)
        assert offset == 0 and 0 <= slot < THREAD_STACK_SLOTS, f"{stack:#x} is not a stack's bottom"
    line = result.kernel_lines[-1]
    assert re.match(rf"^\[PANIC\] thread stacks: the stack at {bottom:#x} given back twice \(it is cached "
                    rf"already\) \(src/sched/thread_stack_cache\.cpp:\d+\){ON_BOOT_CPU}$", line), line
    give_back = "sched::give_back_thread_stack(sched::ThreadStack const&)"
    assert [frame.group(3) for frame in backtrace(result)][:2] == [
        give_back, "sched::(anonymous namespace)::give_back_a_thread_stack_twice()"]
    assert_backtrace_agrees_with_addr2line(result, kernel_elf, trigger=give_back)
