"""The kernel console (`console` on the command line), driven over COM1 as
a person at a terminal would: each command's output is checked."""

import re
import socket
import threading
import time

import pytest

from harness.elf import KernelElf
from harness.kernel_tests import read_kernel_tests
from harness.outcome import Outcome
from harness.qmp import QmpClient

PROMPT = "rayos> "


def as_a_terminal_shows(line):
    """The line as a terminal renders it: a backspace moves the cursor left
    and the next byte overwrites; trailing spaces do not show."""
    screen, cursor = [], 0
    for char in line:
        if char == "\b":
            cursor = max(cursor - 1, 0)
            continue
        if cursor == len(screen):
            screen.append(char)
        else:
            screen[cursor] = char
        cursor += 1
    return "".join(screen).rstrip()


class Console:
    def __init__(self, kernel):
        self.kernel = kernel
        kernel.wait_for_line("[BOOT] console on COM1 and the keyboard: type help")

    def run(self, typed, last, timeout=30.0):
        """Types a line (bytes as typed, Enter added) and returns the output
        lines after its echo, up to the first that starts with `last`."""
        start = len(self.kernel.lines())
        self.kernel.type_serial(typed + b"\r")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.kernel.lines()[start:]
            echoes = [i for i, line in enumerate(lines) if line.startswith(PROMPT)]
            if echoes:
                output = lines[echoes[0] + 1:]
                for i, line in enumerate(output):
                    if line.startswith(last):
                        return lines[echoes[0]], output[:i + 1]
            time.sleep(0.05)
        raise AssertionError(f"no {last!r} after typing {typed!r}; serial:\n" + "\n".join(self.kernel.lines()[start:]))


@pytest.fixture
def console(running_boot):
    return Console(running_boot(cmdline="console", serial_input=True))


def test_help_lists_every_command(console):
    echo, output = console.run(b"help", "  reboot")
    assert echo == "rayos> help"
    names = [line.split()[0] for line in output]
    assert names == ["help", "mem", "cpu", "uptime", "ticks", "tests", "fault", "halt", "reboot"]


def test_mem_shows_heap_and_frame_figures_that_add_up(console):
    _, output = console.run(b"mem", "frames:")
    heap = re.match(r"heap: (\d+)/(\d+) bytes used, (\d+) pages allocated", output[0])
    used, total, pages = map(int, heap.groups())
    assert used <= total == pages * 4096 and total >= 2097152
    frames = re.match(r"frames: (\d+) usable, (\d+) free, (\d+) used", output[-1])
    usable, free, in_use = map(int, frames.groups())
    assert free + in_use == usable and in_use >= pages


def test_cpu_uptime_and_ticks(console):
    _, output = console.run(b"cpu", "[CPU] features:")
    assert output[0].startswith("[CPU] vendor ")
    _, (first,) = console.run(b"uptime", "up ")
    _, (ticks_line,) = console.run(b"ticks", "")
    _, (second,) = console.run(b"uptime", "up ")
    seconds = [float(re.match(r"up (\d+\.\d{3}) s$", line).group(1)) for line in (first, second)]
    assert 0 < seconds[0] < seconds[1]
    ticks, hz = map(int, re.match(r"(\d+) ticks at (\d+) Hz$", ticks_line).groups())
    assert hz == 1000 and ticks > 0


CPU_LINE = re.compile(r"^cpu (\d+), APIC ID (\d+); (\d+) CPUs? online$")
GS_REGISTER = re.compile(r"^GS =[0-9a-f]{4} ([0-9a-f]{16}) ", re.MULTILINE)


def test_cpu_names_this_cpu_and_its_per_cpu_block_is_where_gs_points(running_boot, kernel_elf):
    """The `cpu` line against QEMU: its CPUs (QMP query-cpus-fast: how many,
    and the boot CPU's socket/core/thread, which with one core and one
    thread a socket make its APIC ID the socket number), and its GS base
    (`info registers`), which must hold the boot CPU's block from the ELF."""
    kernel = running_boot(cmdline="console", serial_input=True, qmp=True)
    _, output = Console(kernel).run(b"cpu", "cpu ")
    index, apic_id, online = map(int, CPU_LINE.match(output[-1]).groups())
    qmp = QmpClient(kernel.workdir / "qmp.sock")
    try:
        cpus = qmp.execute("query-cpus-fast")
        registers = qmp.execute("human-monitor-command", **{"command-line": "info registers"})
    finally:
        qmp.close()
    boot_cpu = next(cpu for cpu in cpus if cpu["cpu-index"] == 0)
    assert (index, online) == (0, len(cpus))
    assert apic_id == boot_cpu["props"]["socket-id"]
    blocks = {value for name, value in KernelElf(kernel_elf).symbols().items() if re.search(r"\dg_boot_cpuE$", name)}
    assert len(blocks) == 1, blocks
    assert int(GS_REGISTER.search(registers).group(1), 16) == blocks.pop()


def test_backspace_edits_the_line_and_unknown_commands_are_named(console):
    echo, output = console.run(b"memx\x7f", "frames:")
    assert echo == "rayos> memx\b \b" and as_a_terminal_shows(echo) == "rayos> mem"
    _, (line,) = console.run(b"frobnicate now", "unknown command")
    assert line == "unknown command 'frobnicate' (type help)"


def test_tests_runs_kernel_tests_and_reports_ktap(console, kernel_elf):
    _, output = console.run(b"tests heap.test_allocation_is_usable,interrupts.*", "tests:")
    assert output[0] == "KTAP version 1" and output[1] == "1..2"
    assert "    ok 1 test_allocation_is_usable" in output
    # As many as the ELF's .kernel_tests section holds for the two patterns.
    selected = [test for test in read_kernel_tests(kernel_elf) if not test.explicit
                and (test.id == "heap.test_allocation_is_usable" or test.suite == "interrupts")]
    assert output[-1] == f"tests: {len(selected)} passed, 0 failed, 0 timed out"


def test_fault_breakpoint_comes_back_to_the_prompt(console):
    _, output = console.run(b"fault breakpoint", "[BOOT] fault injection: survived")
    assert "[FAULT] #BP Breakpoint (vector 3) in kernel mode on CPU 0: resuming" in output
    _, (line,) = console.run(b"fault melt", "fault: unknown kind")
    assert line.startswith("fault: unknown kind 'melt' (known: panic, ")


def test_halt_stops_the_cpu(running_boot):
    kernel = running_boot(cmdline="console", serial_input=True)
    Console(kernel).run(b"halt", "halted:")
    time.sleep(1)
    assert kernel.process.poll() is None, "QEMU must stay up: a halted CPU is not an exit"
    assert kernel.finish().outcome is Outcome.STOPPED


def test_reboot_resets_the_machine(running_boot):
    kernel = running_boot(cmdline="console", serial_input=True)
    Console(kernel).run(b"reboot", "rebooting")
    deadline = time.monotonic() + 10
    while kernel.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    result = kernel.finish()
    # -no-reboot turns the reset into QEMU exiting with 0: a reset, not a triple fault.
    assert result.outcome is Outcome.RESET, result.reason


def test_the_keyboard_types_into_the_console_too(running_boot):
    kernel = running_boot(cmdline="console", qmp=True)
    kernel.wait_for_line("[BOOT] console on COM1 and the keyboard: type help")
    qmp = QmpClient(kernel.workdir / "qmp.sock")
    try:
        for key in ["t", "i", "c", "k", "s", "x", "backspace", "ret"]:
            qmp.send_keys(key)
    finally:
        qmp.close()
    # "x" and Backspace were typed and erased: the line shows "ticks".
    echo = kernel.wait_for_line("rayos> ticks")
    assert as_a_terminal_shows(echo) == "rayos> ticks"
    assert re.match(r"\d+ ticks at 1000 Hz$", _lines_after(kernel, echo)[0])


def _lines_after(kernel, marker, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = kernel.lines()
        if marker in lines and lines.index(marker) + 1 < len(lines):
            return lines[lines.index(marker) + 1:]
        time.sleep(0.05)
    raise AssertionError(f"nothing after {marker!r}: " + "\n".join(kernel.lines()[-20:]))


FLOOD_LINES = 12800


def flood_line(number):
    # Valid only whole: the console answers "unknown command '<line>'", so an
    # answer names exactly the line it ran. A merge of two damaged lines
    # ("x0012x00131") names no line that was sent, or names one out of order.
    return f"x{number:05d}"


@pytest.mark.slow
def test_input_sent_unthrottled_is_never_run_garbled_and_every_lost_byte_is_reported(running_boot):
    kernel = running_boot(cmdline="console", serial_input=True)
    Console(kernel)
    sent_lines = [flood_line(n) for n in range(FLOOD_LINES)]
    # The prompt on the screen came before the connection: a first Enter
    # (into an empty queue, so never dropped) puts a fresh one on the socket.
    flood = b"\r" + "".join(line + "\r" for line in sent_lines).encode()
    # "\r" first ends whatever the flood's last line left unfinished.
    sentinel = b"\rticks\r"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(kernel.workdir / "serial.sock"))
        # What comes back on the socket is what a terminal shows. (QEMU stops
        # taking input while its output there is unread, and its log file
        # can hold a byte twice when the socket was full for a moment.)
        terminal = Terminal(connection)
        terminal.start()
        connection.sendall(flood)
        terminal.wait_until_quiet()
        connection.sendall(sentinel)
        deadline = time.monotonic() + 60
        while not any(re.match(r"\d+ ticks at 1000 Hz$", line) for line in terminal.lines()[-3:]):
            assert time.monotonic() < deadline, "no answer to the sentinel ticks:\n" + "\n".join(terminal.lines()[-20:])
            time.sleep(0.1)

    lines = terminal.lines()
    lines = lines[next(i for i, line in enumerate(lines) if line.startswith(PROMPT)):]
    sent_bytes = len(flood) + len(sentinel)
    dropped, processed = 0, 1  # the first Enter
    answered = []  # indices into sent_lines, in the order they ran
    discarded = 0
    echo = None  # the text of the line whose output comes next
    for line in lines:
        if line.startswith(PROMPT):
            echo = line[len(PROMPT):]
            processed += len(echo) + 1  # its bytes and its Enter
            continue
        if match := re.match(r"\[SERIAL\] dropped (\d+) bytes \(input queue full\)$", line):
            dropped += int(match.group(1))
            continue
        assert echo is not None, f"output {line!r} with no line typed before it"
        if line == "line too long: 120 characters at most; this line will not run":
            assert len(echo) == 120, f"announced as too long after {len(echo)} characters"
            continue  # the line goes on, unechoed, to its discard
        if match := re.match(r"discarded: the line was over 120 characters \((\d+) more not kept\); not run$", line):
            processed += int(match.group(1))
            discarded += 1
        elif match := re.match(r"discarded '(.*)': bytes of this line were lost \(input queue full\); not run$", line):
            assert match.group(1) == echo
            discarded += 1
        elif match := re.match(r"unknown command '(.*)' \(type help\)$", line):
            assert match.group(1) == echo, f"ran {match.group(1)!r} for the line {echo!r}"
            assert echo in sent_lines, f"ran the garbled line {echo!r}"
            index = sent_lines.index(echo)
            assert not answered or index > answered[-1], \
                f"{echo!r} ran out of order, after {sent_lines[answered[-1]]!r}"
            answered.append(index)
        elif re.match(r"\d+ ticks at 1000 Hz$", line):
            assert echo == "ticks"
        elif echo == "":
            raise AssertionError(f"an empty line answered {line!r}")
        else:
            raise AssertionError(f"the line {echo!r} was answered {line!r}, neither run whole nor discarded")
        echo = None
    assert processed + dropped == sent_bytes, \
        f"{processed} bytes reached the console and {dropped} were reported dropped, but {sent_bytes} were sent"
    # Each 7-byte line draws some 40 bytes of answer through the UART, so
    # the queue always overflows: the drop path is exercised, not just allowed.
    assert dropped > 0 and discarded > 0, f"{dropped} bytes dropped, {discarded} lines discarded"
    print(f"{len(answered)} lines ran whole, {discarded} discarded, {dropped} of {sent_bytes} bytes dropped")


class Terminal(threading.Thread):
    """Reads what the console prints on a COM1 socket connection."""

    def __init__(self, connection):
        super().__init__(daemon=True)
        self.connection, self.received, self.last_received = connection, bytearray(), time.monotonic()

    def run(self):
        try:
            while chunk := self.connection.recv(65536):
                self.received += chunk
                self.last_received = time.monotonic()
        except OSError:
            pass

    def lines(self):
        text = bytes(self.received).decode("utf-8", errors="replace")
        return [line.rstrip("\r") for line in text.split("\n")[:-1]]

    def wait_until_quiet(self, quiet_seconds=2.0, timeout=240.0):
        """Waits until nothing has come for quiet_seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() - self.last_received < quiet_seconds:
            assert time.monotonic() < deadline, f"the console was still printing after {timeout} s"
            time.sleep(0.1)


def test_a_line_over_the_limit_is_announced_and_not_run(console):
    start = len(console.kernel.lines())
    console.kernel.type_serial(b"x" * 130 + b"\r")
    console.kernel.wait_for_line("discarded: the line was over 120 characters (10 more not kept); not run")
    lines = console.kernel.lines()[start:]
    announcement = "line too long: 120 characters at most; this line will not run"
    assert announcement in lines, "\n".join(lines)
    assert not any(line.startswith("unknown command") for line in lines)
    echo, (line,) = console.run(b"ticks", "")
    assert re.match(r"\d+ ticks at 1000 Hz$", line), "the console goes on after a discarded line"
