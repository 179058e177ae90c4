"""Fault injection (fault=<kind>): every fault ends in a report whose fields
are right, a symbolized backtrace that agrees with addr2line, a [PANIC]
line and the failure exit; a breakpoint is reported and survived."""

import re
import subprocess
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from harness.outcome import EXIT_FAILURE, Outcome

UNMAPPED_ADDRESS = 0x0000100000000000     # src/arch/fault_triggers.h
NON_CANONICAL_ADDRESS = 0x8000000000000000

BACKTRACE_LINE = re.compile(r"^\[FAULT\]   #(\d+) (0x[0-9a-f]{16}) (.+?)(?:\+(0x[0-9a-f]+))?$")


def elf_symbols(kernel_elf):
    with open(kernel_elf, "rb") as stream:
        table = ELFFile(stream).get_section_by_name(".symtab")
        return {symbol.name: symbol["st_value"] for symbol in table.iter_symbols() if symbol.name}


def address_of(kernel_elf, part):
    """The address of the one ELF symbol whose (mangled) name contains part."""
    matches = {value for name, value in elf_symbols(kernel_elf).items() if part in name}
    assert len(matches) == 1, f"{part!r}: {matches}"
    return matches.pop()


def nm_addresses(kernel_elf):
    """Demangled name -> address, as the kernel's table names functions."""
    output = subprocess.run(["nm", "--defined-only", "-C", str(kernel_elf)], capture_output=True, text=True,
                            check=True).stdout
    return {line[19:]: int(line[:16], 16) for line in output.splitlines() if len(line) > 19}


def addr2line_functions(kernel_elf, address):
    output = subprocess.run(["addr2line", "-f", "-C", "-i", "-e", str(kernel_elf), hex(address)],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    return output[0::2]


def backtrace(result):
    return [BACKTRACE_LINE.match(line) for line in result.lines if BACKTRACE_LINE.match(line)]


def field(result, pattern):
    for line in result.lines:
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matches {pattern!r}")


def assert_backtrace_agrees_with_addr2line(result, kernel_elf):
    frames = backtrace(result)
    assert frames, "no backtrace"
    addresses = nm_addresses(kernel_elf)
    for frame in frames:
        index, address, name = int(frame.group(1)), int(frame.group(2), 16), frame.group(3)
        if name == "(no symbol)":
            continue
        # Return addresses point after the call: look up the call itself.
        lookup = address if index == 0 else address - 1
        functions = addr2line_functions(kernel_elf, lookup)
        # addr2line names C++ functions from DWARF; for assembly it falls back
        # to the ELF symbol at the same address (e.g. __kernel_start).
        same = name in functions or any(addresses.get(f) == addresses.get(name) is not None for f in functions)
        assert same, f"frame #{index} {address:#x}: kernel says {name!r}, addr2line says {functions}"
    assert frames[-1].group(3) == "higher_half_entry", "the walk should reach the first kernel frame"


def assert_fatal_report(result, mnemonic, vector, rip_function):
    assert result.outcome is Outcome.PANIC, result.reason
    assert result.exit_status == EXIT_FAILURE
    name = {"#DE": "Divide Error", "#UD": "Invalid Opcode", "#GP": "General Protection",
            "#PF": "Page Fault", "#DF": "Double Fault"}[mnemonic]
    assert f"[FAULT] {mnemonic} {name} (vector {vector}) in kernel mode" in result.lines
    assert field(result, r"^\[FAULT\]   RIP 0x[0-9a-f]{16} (.+)\+0x").group(1) == rip_function
    assert re.match(rf"^\[PANIC\] unhandled {mnemonic} {name} in kernel mode \(src/arch/x86_64/exceptions\.cpp:\d+\)$",
                    result.kernel_lines[-1]), result.kernel_lines[-1]
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
    assert_backtrace_agrees_with_addr2line(result, kernel_elf)
    if mnemonic == "#GP":
        assert "[FAULT]   error code 0x0: not caused by a segment selector" in result.lines
        assert int(field(result, r" RAX (0x[0-9a-f]+)").group(1), 16) == NON_CANONICAL_ADDRESS


def test_page_fault_on_unmapped_read(boot, kernel_elf):
    result = boot(cmdline="exit fault=unmapped-read", trace_interrupts=True)
    assert_fatal_report(result, "#PF", 14, "arch::trigger_unmapped_read()")
    code, cr2 = page_fault_fields(result)
    assert (code, cr2) == (0, UNMAPPED_ADDRESS)
    assert "[FAULT]   error code 0x0: not-present page, read, supervisor" in result.lines
    assert_backtrace_agrees_with_addr2line(result, kernel_elf)


def test_page_fault_on_null_pointer(boot, kernel_elf):
    result = boot(cmdline="exit fault=null-pointer", trace_interrupts=True)
    assert_fatal_report(result, "#PF", 14, "arch::trigger_null_pointer_read()")
    assert page_fault_fields(result) == (0, 0)
    assert_backtrace_agrees_with_addr2line(result, kernel_elf)


def test_page_fault_on_write_to_rodata(boot, kernel_elf):
    result = boot(cmdline="exit fault=read-only-write", trace_interrupts=True)
    assert_fatal_report(result, "#PF", 14, "arch::trigger_read_only_write()")
    code, cr2 = page_fault_fields(result)
    assert code == PF_PRESENT | PF_WRITE
    assert cr2 == address_of(kernel_elf, "g_read_only_word")
    assert_backtrace_agrees_with_addr2line(result, kernel_elf)


def test_page_fault_on_instruction_fetch_from_no_execute_data(boot, kernel_elf):
    result = boot(cmdline="exit fault=no-execute-fetch", cpu="max", trace_interrupts=True)
    assert result.outcome is Outcome.PANIC, result.reason
    code, cr2 = page_fault_fields(result)
    assert code == PF_PRESENT | PF_FETCH
    data_code = address_of(kernel_elf, "g_code_in_data")
    # The CPU faulted fetching the first instruction there: RIP is CR2.
    assert cr2 == data_code
    assert int(field(result, r"RIP (0x[0-9a-f]{16})").group(1), 16) == data_code
    assert_backtrace_agrees_with_addr2line(result, kernel_elf)


def test_stack_overflow_hits_the_guard_page_and_reports_on_the_double_fault_stack(boot, kernel_elf):
    result = boot(cmdline="exit fault=stack-overflow", trace_interrupts=True)
    assert_fatal_report(result, "#DF", 8,
                        "arch::(anonymous namespace)::recurse_one_page_deeper(unsigned long) [clone .isra.0]")
    guard = field(result, r"stack overflow: guard page (0x[0-9a-f]+) of the kernel stack "
                          r"\((0x[0-9a-f]+)-(0x[0-9a-f]+)\) was hit")
    symbols = elf_symbols(kernel_elf)
    assert int(guard.group(1), 16) == symbols["kernel_stack_guard"]
    assert int(guard.group(2), 16) == symbols["kernel_stack_bottom"]
    # The report ran on the #DF IST stack: its RSP is the faulting one, inside the guard page.
    rsp = int(field(result, r" RSP (0x[0-9a-f]+)").group(1), 16)
    assert symbols["kernel_stack_guard"] <= rsp < symbols["kernel_stack_bottom"] + 4096
    assert "Triple fault" not in result.qemu_log


def test_breakpoint_is_reported_and_survived(boot, kernel_elf):
    result = boot(cmdline="exit fault=breakpoint", trace_interrupts=True)
    assert result.outcome is Outcome.PASSED, result.reason
    index = result.lines.index("[FAULT] #BP Breakpoint (vector 3) in kernel mode: resuming")
    assert re.match(r"^\[FAULT\]   RIP 0x[0-9a-f]{16} arch::trigger_breakpoint\(\)\+0x1$", result.lines[index + 1])
    assert result.lines[index + 2] == "[BOOT] fault injection: survived the breakpoint"
    assert result.kernel_lines[-1].startswith("[BOOT] RayOS ready")


def test_smashed_stack_canary_is_caught_and_names_the_function(boot):
    result = boot(cmdline="exit fault=stack-smash")
    assert result.outcome is Outcome.PANIC, result.reason
    assert re.match(r"^\[PANIC\] stack smashing detected in kernel::\(anonymous namespace\)::smash_the_stack\(\) "
                    r"\(canary overwritten; return address 0xffffffff8[0-9a-f]+\) \(src/kernel/stack_protector\.cpp:\d+\)$",
                    result.kernel_lines[-1]), result.kernel_lines[-1]


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
def test_undefined_behaviour_is_caught_and_named_where_it_happens(boot, kind, function, message):
    result = boot(cmdline=f"exit fault=ubsan-{kind}")
    assert result.outcome is Outcome.PANIC, result.reason
    line = result.kernel_lines[-1]
    match = re.match(rf"^\[PANIC\] UBSan: {message} \(column \d+\) \(src/kernel/ubsan_triggers\.cpp:(\d+)\)$", line)
    assert match, line
    assert int(match.group(1)) in lines_of_function(UBSAN_TRIGGERS, f"void {function}")


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


@pytest.mark.parametrize("cpu, source", [(None, "the TSC"), ("max", "RDRAND")])
def test_stack_protector_guard_is_seeded_at_boot(boot, cpu, source):
    result = boot(cpu=cpu)
    assert result.outcome is Outcome.PASSED, result.reason
    assert any(line.endswith(f"stack protector guard from {source}") for line in result.lines_with("[BOOT] C++ runtime"))


HEAP_ARENA = 0xFFFFC10000000000  # src/mm/kernel_heap.h


def test_executing_from_the_heap_is_a_no_execute_page_fault(boot, kernel_elf):
    result = boot(cmdline="exit fault=heap-execute", trace_interrupts=True)
    assert result.outcome is Outcome.PANIC, result.reason
    block = int(field(result, r"^\[FAULT\] heap misuse: calling heap block (0x[0-9a-f]+)$").group(1), 16)
    assert HEAP_ARENA <= block < HEAP_ARENA + 2 * 2**20
    assert "[FAULT] #PF Page Fault (vector 14) in kernel mode" in result.lines
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


def heap_panic(result):
    assert result.outcome is Outcome.PANIC, result.reason
    assert result.exit_status == EXIT_FAILURE
    line = result.kernel_lines[-1]
    assert line.startswith("[PANIC] heap: ") and re.search(r"\(src/mm/kernel_heap\.cpp:\d+\)$", line), line
    return line


def test_write_after_free_is_caught_when_the_block_is_reused(boot):
    result = boot(cmdline="exit fault=use-after-free")
    line = heap_panic(result)
    block = int(field(result, r"heap misuse: wrote byte 40 of freed block (0x[0-9a-f]+);").group(1), 16)
    # The report names the block (its 16-byte header first) and the byte: 16 + 40.
    assert f"[PANIC] heap: use after free: freed memory was written: block {block - 16:#x}, byte 56 " in line


@pytest.mark.parametrize("kind, misuse, panic", [
    ("double-free", r"heap misuse: freeing (0x[0-9a-f]+) twice",
     "[PANIC] heap: double free of {} (the block was already freed)"),
    ("foreign-free", r"heap misuse: freeing (0x[0-9a-f]+), 32 bytes into block",
     "[PANIC] heap: free of a pointer the heap never returned: {} (it points inside a live block"),
    ("heap-header-overwrite", r"heap misuse: overwrote the header of (0x[0-9a-f]+);",
     "[PANIC] heap: block header overwritten: {} (magic or check value does not match)"),
])
def test_each_bad_free_is_named(boot, kind, misuse, panic):
    result = boot(cmdline=f"exit fault={kind}")
    line = heap_panic(result)
    pointer = field(result, misuse).group(1)
    assert line.startswith(panic.format(pointer)), line


def test_fault_inside_the_fault_report_is_a_nested_exception_panic(boot):
    result = boot(cmdline="exit fault=nested", trace_interrupts=True)
    assert result.outcome is Outcome.PANIC, result.reason
    assert result.exit_status == EXIT_FAILURE
    assert "[FAULT] #UD Invalid Opcode (vector 6) in kernel mode" in result.lines
    assert re.match(r"^\[PANIC\] nested exception: #PF \(vector 14\) at RIP 0x[0-9a-f]+ "
                    r"while handling #UD \(vector 6\)$", result.kernel_lines[-1]), result.kernel_lines[-1]
    assert "Triple fault" not in result.qemu_log


@pytest.mark.parametrize("kind", ["divide-by-zero", "null-pointer", "stack-overflow", "nested"])
def test_no_fault_ends_in_a_triple_fault(boot, kind):
    result = boot(cmdline=f"exit fault={kind}", trace_interrupts=True)
    assert result.outcome is Outcome.PANIC, result.reason
    assert "Triple fault" not in result.qemu_log


def test_fault_report_under_uefi(boot, kernel_elf):
    # OVMF lays memory out differently from SeaBIOS; the protections and the
    # report must not depend on it.
    result = boot(cmdline="exit fault=null-pointer", firmware="uefi", timeout=90, trace_interrupts=True)
    assert_fatal_report(result, "#PF", 14, "arch::trigger_null_pointer_read()")
    assert page_fault_fields(result) == (0, 0)
    assert_backtrace_agrees_with_addr2line(result, kernel_elf)
