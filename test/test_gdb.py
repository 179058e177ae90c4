"""The debugging flow of ci/debug.sh, driven in batch mode: QEMU paused with
its GDB stub, gdb with ci/gdb/rayos.gdb, a stop at the C++ entry point.

QEMU's stub and gdb both use the literal address 127.0.0.1, never the name
localhost, which may not resolve (no /etc/hosts) or resolve to ::1 first."""

import os
import re
import shlex
import socket
import subprocess
import time

from pathlib import Path

import pytest

from harness.boot_information_capture import STUB_HOST as STUB_ADDRESS, free_port, wait_for_stub
from harness.elf import KernelElf
from harness.outcome import EXIT_FAILURE, serial_lines

# Every test here drives gdb; QEMU runs under the conftest's running_boot,
# so a failing test's report carries the boot's serial and QEMU logs.
pytestmark = pytest.mark.gdb

REPO = Path(__file__).resolve().parent.parent
GDB_SCRIPT = REPO / "ci/gdb/rayos.gdb"
GDB_COMMANDS = REPO / "ci/gdb/rayos.py"
GDB_TIMEOUT_SECONDS = 60


class PausedQemu:
    def __init__(self, port, running):
        self.port, self.process, self.workdir = port, running.process, running.workdir

    def serial_lines(self):
        return serial_lines((self.workdir / "serial.log").read_bytes())


@pytest.fixture
def paused_qemu(running_boot):
    """QEMU stopped before the first instruction, its GDB stub listening;
    running_boot ends it after the test."""
    port = free_port()
    running = running_boot(cmdline="exit", gdb_port=port, paused=True)
    wait_for_stub(port, running.process)
    return PausedQemu(port, running)


# The PCI enumeration's function table, which stays on the heap.
PCI_TABLE = "'drivers::(anonymous namespace)::g_table'"


def run_gdb(kernel_elf, *commands, workdir):
    """gdb in batch mode on kernel_elf with RayOS's set-up, then commands.
    They go in a command file, not -ex, so the first failing command ends
    gdb with a non-zero status (after a failed -ex gdb carries on)."""
    script = Path(workdir) / "commands.gdb"
    script.write_text("".join(command + "\n" for command in commands))
    arguments = ["gdb", "-batch", "-nx", "-x", str(GDB_SCRIPT), "-x", str(GDB_COMMANDS), "-x", str(script)]
    completed = subprocess.run(arguments + [str(kernel_elf)], capture_output=True, text=True,
                               timeout=GDB_TIMEOUT_SECONDS)
    return completed, completed.stdout + completed.stderr


def test_gdb_stops_at_kernel_main_with_backtrace_and_variables(paused_qemu, kernel_elf):
    completed, output = run_gdb(kernel_elf, f"rayos-connect {paused_qemu.port}", "backtrace",
                                "print rayos_version", "print/x multiboot_magic", "info registers rip",
                                "info connections", workdir=paused_qemu.workdir)
    assert completed.returncode == 0, output
    # rayos-connect reached the stub by its address, not through a name.
    assert re.search(rf"^\* 1\s+remote {re.escape(STUB_ADDRESS)}:{paused_qemu.port}\s", output, re.MULTILINE), output
    # Stopped in kernel_main, with its source file and line.
    assert re.search(r"^#0\s+kernel_main \(multiboot_magic=\S+, multiboot_info_physical=\S+\)\s+"
                     r"at \S*src/kernel/main\.cpp:\d+", output, re.MULTILINE), output
    # A kernel global read from the running machine, and kernel_main's argument.
    assert '= "RayOS 0.1.0"' in output, output
    assert "= 0x36d76289" in output, output
    assert re.search(r"rip\s+0xffffffff8", output), output


def test_fault_before_the_kernel_idt_is_reported_not_a_triple_fault(paused_qemu, kernel_elf):
    # Stop on the first higher-half instruction, before kernel_main loads the
    # kernel's IDT, and jump to an unmapped address: only the trampoline's
    # early IDT stands between that and a triple fault.
    commands = [f"target remote {STUB_ADDRESS}:{paused_qemu.port}", "hbreak higher_half_entry", "continue",
                "set $pc = 0x100000000000", "continue"]
    completed, output = run_gdb(kernel_elf, *commands, workdir=paused_qemu.workdir)
    # Every command ran; only the last one ends in an error, since QEMU
    # exits while gdb waits for the kernel to stop.
    assert completed.returncode == 1, output
    assert f"commands.gdb:{len(commands)}: Error in sourced command file:\nRemote connection closed" in output, output
    assert paused_qemu.process.wait(timeout=10) == EXIT_FAILURE
    assert ("[PANIC] CPU exception before the kernel's IDT was loaded: vector 0x000000000000000e, "
            "RIP 0x0000100000000000, error code 0x0000000000000010") in paused_qemu.serial_lines()
    assert "Triple fault" not in (paused_qemu.workdir / "qemu.log").read_text()


def test_gdb_commands_read_kernel_state_from_a_stopped_kernel(paused_qemu, kernel_elf):
    # Stop where boot is complete (the exit at the end), then read the heap,
    # the frames, two page-table walks, an IDT gate and the log.
    completed, output = run_gdb(
        kernel_elf, f"target remote {STUB_ADDRESS}:{paused_qemu.port}", "hbreak drivers::qemu_exit", "continue",
        "rayos-heap", "rayos-frames", "rayos-walk 0xffffc10000000000", "rayos-walk kernel_main",
        "rayos-walk 0", "rayos-idt 14", "rayos-log 8000",
        f"print {PCI_TABLE}.m_capacity * sizeof(*{PCI_TABLE}.m_functions)",
        workdir=paused_qemu.workdir)
    assert completed.returncode == 0, output
    log_lines = [line for line in output.splitlines() if line.startswith("[MEM] Stats: ")]
    # The heap as the boot left it: the seed's figures and gdb's agree.
    used, total, pages = map(int, re.match(
        r"\[MEM\] Stats: (\d+)/(\d+) bytes used, (\d+) pages", log_lines[0]).groups())
    assert re.search(rf"^  pages_held\s+{pages}$", output, re.MULTILINE), output
    assert re.search(rf"^  bytes_held\s+{total}$", output, re.MULTILINE), output
    # The test block was freed: the one block in use is the PCI function
    # table (src/drivers/pci.cpp), its size read from the table itself.
    (pci_table_bytes,) = re.findall(r"^\$\d+ = (\d+)$", output, re.MULTILINE)
    assert re.search(rf"^  bytes_in_use\s+{pci_table_bytes}$", output, re.MULTILINE), output
    assert re.search(r"^  live_allocations\s+1$", output, re.MULTILINE), output
    assert re.search(r"^  arena\s+0xffffc10000000000$", output, re.MULTILINE), output
    assert re.search(r"^  locked\s+no$", output, re.MULTILINE), output
    usable, free, used_frames = (int(re.search(rf"^  {name}\s+(\d+)$", output, re.MULTILINE).group(1))
                                 for name in ("usable", "free", "used"))
    assert free + used_frames == usable > 0
    # The heap page: 4 KiB, RW, no execute. kernel_main: RX. Page 0: unmapped.
    assert "walk of 0xffffc10000000000 from CR3" in output
    assert re.search(r"mapped: physical 0x[0-9a-f]+, 4 KiB page, RW$", output, re.MULTILINE), output
    text = re.search(r"walk of (0xffffffff8[0-9a-f]+) from CR3.*?mapped: physical (0x[0-9a-f]+), 4 KiB page, RX$",
                     output, re.MULTILINE | re.DOTALL)
    assert text and int(text.group(2), 16) == int(text.group(1), 16) - 0xFFFFFFFF80000000, output
    assert "not mapped (no PDPT entry)" in output or "not mapped (no PML4 entry)" in output, output
    # #PF's gate: its NASM stub, an interrupt gate in the kernel code segment.
    assert re.search(r"^vector 14: handler 0xffffffff8[0-9a-f]+ \(interrupt_stub_14", output, re.MULTILINE), output
    assert "selector 0x0008, interrupt gate, DPL 0, present, IST none" in output, output
    # The log in memory ends where boot ended.
    assert "[BOOT] RayOS ready" in output


def test_heap_and_frames_before_they_exist_say_so(paused_qemu, kernel_elf):
    # At kernel_main's first instruction neither the frame allocator nor the
    # heap is set up: their statistics would be zeros that mean nothing.
    completed, output = run_gdb(kernel_elf, f"rayos-connect {paused_qemu.port}", "rayos-heap", "rayos-frames",
                                workdir=paused_qemu.workdir)
    assert completed.returncode == 0, output
    assert "kernel heap: not initialised yet (mm::init_kernel_heap has not run)" in output, output
    assert "frames (4 KiB): not initialised yet (mm::init_physical_memory has not run)" in output, output
    assert not re.search(r"^  (bytes_in_use|usable)\s", output, re.MULTILINE), output


PARKED_TEST = "thread_listing.a_parked_thread_for_debuggers"
PARKED_CPUS = 2
THREAD_HEADER = re.compile(r"^thread (\d+) '([^']*)' (\w+), CPU (\d+) \(at 0x[0-9a-f]+\)$")
FRAME_LINE = re.compile(r"^    #(\d+)\s+0x([0-9a-f]{16}) in (.+?) \+ (\d+)(?: at \S+:\d+)?$")


def function_symbols(kernel_elf, *wanted):
    """{part of a name: (demangled name, start, size)} of the one function
    symbol whose demangled name holds each part, from the ELF (its
    compiler-made clones, such as a ".cold" part, left out)."""
    elf = KernelElf(kernel_elf)
    functions = [symbol for symbol in elf.get_section_by_name(".symtab").iter_symbols()
                 if symbol["st_info"]["type"] == "STT_FUNC" and symbol["st_size"] > 0]
    demangled = subprocess.run(["c++filt"], input="\n".join(symbol.name for symbol in functions),
                               capture_output=True, text=True, check=True).stdout.splitlines()
    found = {}
    for part in wanted:
        matches = [(name, symbol["st_value"], symbol["st_size"])
                   for name, symbol in zip(demangled, functions) if part in name and "[clone " not in name]
        assert len(matches) == 1, f"{part}: {matches}"
        found[part] = matches[0]
    return found


def thread_blocks(output):
    """{name: (id, state, cpu, [lines under the header])} from rayos-threads."""
    blocks, current = {}, None
    for line in output.splitlines():
        if match := THREAD_HEADER.match(line):
            current = []
            blocks[match.group(2)] = (int(match.group(1)), match.group(3), int(match.group(4)), current)
        elif current is not None and line.startswith("  "):
            current.append(line)
        else:
            current = None
    return blocks


def frames_of(lines):
    """[(address, name)] of the backtrace lines."""
    return [(int(m.group(2), 16), m.group(3)) for m in map(FRAME_LINE.match, lines) if m]


def frame_index(frames, symbol, first_is_return_address=True):
    """Where the function (demangled name, start, size) is in frames: the
    printed name is the ELF's and the address (the call's byte, for a
    return address: every frame but a running CPU's first) lies inside it;
    None if it is not there."""
    name, start, size = symbol
    for index, (address, printed) in enumerate(frames):
        looked_up = address - 1 if index > 0 or first_is_return_address else address
        if start <= looked_up < start + size and printed == name:
            return index
    return None


@pytest.fixture
def paused_at_parked_thread(running_boot):
    """QEMU paused with its stub, to run the kernel test that parks a thread
    on the last CPU and stops in thread_listing_debugger_stop."""
    port = free_port()
    running = running_boot(cmdline=f"test={PARKED_TEST}", gdb_port=port, paused=True, smp=PARKED_CPUS)
    wait_for_stub(port, running.process)
    return PausedQemu(port, running)


def test_rayos_threads_lists_threads_and_backtraces_a_blocked_one(paused_at_parked_thread, kernel_elf):
    # The parked thread blocked on CPU 1 in park_until_released, called by
    # parked_thread_body from sched::thread_start; main stopped on CPU 0 at
    # the breakpoint. Names and address ranges come from the ELF.
    symbols = function_symbols(kernel_elf, "park_until_released", "parked_thread_body", "sched::thread_start(",
                               "thread_listing_debugger_stop", "ktest_function_thread_listing__a_parked_thread")
    completed, output = run_gdb(
        kernel_elf, f"target remote {STUB_ADDRESS}:{paused_at_parked_thread.port}",
        "hbreak sched::thread_listing_debugger_stop", "continue", "rayos-threads",
        workdir=paused_at_parked_thread.workdir)
    assert completed.returncode == 0, output
    blocks = thread_blocks(output)
    assert {"main", "gdb-parked"} | {f"idle/{cpu}" for cpu in range(PARKED_CPUS)} <= set(blocks), output
    assert len({block[0] for block in blocks.values()}) == len(blocks), output
    assert re.search(rf"^{len(blocks)} threads \(the list counts {len(blocks)}\)$", output, re.MULTILINE), output

    _, state, cpu, lines = blocks["gdb-parked"]
    assert (state, cpu) == ("blocked", PARKED_CPUS - 1), output
    assert lines[0].startswith("  saved stack pointer 0x"), output
    frames = frames_of(lines)
    order = [frame_index(frames, symbols[part]) for part in
             ("park_until_released", "parked_thread_body", "sched::thread_start(")]
    assert None not in order and order == sorted(order), f"{order}\n{output}"

    _, state, cpu, lines = blocks["main"]
    assert (state, cpu) == ("running", 0) and lines[0].startswith("  running on CPU 0 "), output
    frames = frames_of(lines)
    assert frame_index(frames, symbols["thread_listing_debugger_stop"], first_is_return_address=False) == 0, output
    assert frame_index(frames, symbols["ktest_function_thread_listing__a_parked_thread"],
                       first_is_return_address=False) is not None, output
    for cpu in range(1, PARKED_CPUS):
        _, state, on, lines = blocks[f"idle/{cpu}"]
        assert (state, on) == ("running", cpu) and lines[0].startswith(f"  running on CPU {cpu} "), output


def test_rayos_threads_before_the_scheduler_says_so(paused_qemu, kernel_elf):
    # At kernel_main's first instruction no thread exists yet: an empty list,
    # said in words, not a walk of nothing.
    completed, output = run_gdb(kernel_elf, f"rayos-connect {paused_qemu.port}", "rayos-threads",
                                workdir=paused_qemu.workdir)
    assert completed.returncode == 0, output
    assert "no threads (sched::start_scheduler has not run)" in output, output
    assert not any(THREAD_HEADER.match(line) for line in output.splitlines()), output


def readme_debugging_section():
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Debugging with GDB")
    return readme[start:readme.index("\n## ", start + 1)]


def test_the_readme_attach_by_hand_commands_work_as_written(running_boot, kernel_elf):
    # The README's QEMU stub option and gdb command, taken from its text, on
    # a free port instead of 1234; the gdb command must define rayos-heap.
    section = readme_debugging_section()
    stub_option = re.search(r"`(-gdb tcp:\S*:1234) -S`", section)
    gdb_command = re.search(r"`(gdb [^`]*rayos-connect 1234[^`]*)`", section)
    assert stub_option and gdb_command, section
    port = free_port()
    qemu_arguments = tuple(stub_option.group(1).replace("1234", str(port)).split()) + ("-S",)
    running = running_boot(cmdline="exit", extra_args=qemu_arguments)
    try:
        wait_for_stub(port, running.process)
        words = [word.replace("1234", str(port)) for word in shlex.split(gdb_command.group(1))]
        assert words[-1] == "build/rayos.elf", words
        arguments = ["gdb", "-batch", "-nx", *words[1:-1], "-ex", "rayos-heap", str(kernel_elf)]
        completed = subprocess.run(arguments, capture_output=True, text=True, timeout=GDB_TIMEOUT_SECONDS, cwd=REPO)
    finally:
        running.finish()
    output = completed.stdout + completed.stderr
    assert 'Undefined command: "rayos-heap"' not in output, output
    assert re.search(r"^Breakpoint 1, kernel_main \(", output, re.MULTILINE), output
    assert "kernel heap: not initialised yet" in output, output


# The name used as an address: followed by ":port", or quoted as a string.
# ("[l]" so that this line does not match itself.)
LOCALHOST_AS_ADDRESS = re.compile(r"[l]ocalhost\s*[:'\"]|['\"][l]ocalhost")


def test_no_test_or_script_connects_through_the_name_localhost():
    # QEMU's stub listens on 127.0.0.1 (harness/qemu.py): a name instead of
    # that address fails where localhost does not resolve or means ::1.
    named = [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
             for folder in ("ci", "test") for path in sorted((REPO / folder).rglob("*"))
             if path.is_file() and path.suffix in (".py", ".sh", ".gdb")
             for number, line in enumerate(path.read_text().splitlines(), 1) if LOCALHOST_AS_ADDRESS.search(line)]
    named += [f"README.md: {line.strip()}" for line in readme_debugging_section().splitlines()
              if LOCALHOST_AS_ADDRESS.search(line)]
    assert named == []


def test_a_failing_gdb_command_ends_gdb_at_once_with_its_output(kernel_elf, tmp_path):
    # After the first error nothing else runs: not the long command, not the
    # print after it.
    started = time.monotonic()
    completed, output = run_gdb(kernel_elf, "print no_such_kernel_symbol", "shell sleep 30", "print 12345 * 2",
                                workdir=tmp_path)
    seconds = time.monotonic() - started
    assert completed.returncode != 0, output
    assert 'No symbol "no_such_kernel_symbol" in current context.' in output, output
    assert "24690" not in output, output
    assert seconds < 20, f"gdb took {seconds:.1f} s: the commands after the error ran\n{output}"


def test_debug_sh_refuses_a_busy_port_with_a_clear_message(tmp_path):
    # Something else (here a plain listening socket) holds the port: gdb
    # must not attach to it, and ci/debug.sh must say so and fail.
    with socket.socket() as holder:
        holder.bind((STUB_ADDRESS, 0))
        holder.listen()
        port = holder.getsockname()[1]
        environment = dict(os.environ, RAYOS_GDB_PORT=str(port))
        done = subprocess.run(["bash", str(REPO / "ci/debug.sh")], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=300, env=environment, cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert f"ci/debug.sh: port {port} on {STUB_ADDRESS} is already in use" in output, output
    assert "RAYOS_GDB_PORT" in output, output
    assert "No stack." not in output, output
