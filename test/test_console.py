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
    assert names == ["help", "mem", "cpu", "uptime", "ticks", "threads", "pci", "tests", "fault", "halt", "reboot"]


def test_pci_prints_the_list_the_boot_logged(running_boot):
    """The same lines as the boot's [PCI] listing, without the tag; that
    listing is checked against QEMU's own view in test/test_pci.py. Typed
    on the keyboard (QMP send-key), with COM1 going to a plain file: through
    the serial socket, QEMU 7.2 stalls output past about 280 bytes while the
    typing client is connected and then logs one byte twice."""
    kernel = running_boot(cmdline="console", qmp=True)
    kernel.wait_for_line("[BOOT] console on COM1 and the keyboard: type help")
    logged = [line[len("[PCI] "):] for line in kernel.lines() if line.startswith("[PCI] ")]
    assert len(logged) > 2 and re.match(r"\d+ functions? on ", logged[-1]), logged
    start = len(kernel.lines())
    qmp = QmpClient(kernel.workdir / "qmp.sock")
    try:
        for key in ("p", "c", "i", "ret"):
            qmp.send_keys(key)
    finally:
        qmp.close()
    deadline = time.monotonic() + 30
    while logged[-1] not in kernel.lines()[start:] and time.monotonic() < deadline:
        time.sleep(0.05)
    output = kernel.lines()[start:]
    echo = next(index for index, line in enumerate(output) if line.startswith(PROMPT))
    assert as_a_terminal_shows(output[echo]) == "rayos> pci"
    assert output[echo + 1:echo + 1 + len(logged)] == logged


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
    boot_cpu_block = "_ZN4arch10g_boot_cpuE"  # arch::g_boot_cpu
    blocks = {value for name, value in KernelElf(kernel_elf).symbols().items() if name == boot_cpu_block}
    assert len(blocks) == 1, blocks
    assert int(GS_REGISTER.search(registers).group(1), 16) == blocks.pop()


THREAD_ROW = re.compile(r"^\s*(\d+) (.+?)\s+(\S+)\s+(\d+) (\S+)\s+(\d+|any)\s+(\d+\.\d{3})$")
THREADS_SUMMARY = re.compile(r"^(\d+) threads, (\d+) CPUs? online$")
THREAD_STATES = {"runnable", "running", "blocked", "dead"}


def thread_table(kernel, timeout=30.0):
    """Types `threads` and returns its rows as dicts, the summary line's
    figures, and the host's monotonic clock just before typing and once the
    summary was in."""
    start = len(kernel.lines())
    typed_at = time.monotonic()
    kernel.type_serial(b"threads\r")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = kernel.lines()[start:]
        summaries = [i for i, line in enumerate(lines) if THREADS_SUMMARY.match(line)]
        if summaries:
            seen_at = time.monotonic()
            break
        time.sleep(0.05)
    else:
        raise AssertionError("no `threads` summary; serial:\n" + "\n".join(kernel.lines()[start:]))
    echo = next(i for i, line in enumerate(lines) if line.startswith(PROMPT))
    header, *body = lines[echo + 1:summaries[0]]
    assert header.split() == ["ID", "NAME", "STATE", "CPU", "PRIO", "PINNED", "RUN", "MS"], header
    rows = []
    for line in body:
        match = THREAD_ROW.match(line)
        assert match, f"not a thread row: {line!r}"
        id_, name, state, cpu, priority, pinned, run_ms = match.groups()
        rows.append({"id": int(id_), "name": name, "state": state, "cpu": int(cpu), "priority": priority,
                     "pinned": pinned, "run_ms": float(run_ms)})
    threads, cpus = map(int, THREADS_SUMMARY.match(lines[summaries[0]]).groups())
    return rows, (threads, cpus), typed_at, seen_at


def test_threads_lists_main_and_an_idle_thread_per_cpu_with_plausible_run_times(running_boot):
    """`threads` against QEMU and the host's clock: one idle/N per CPU that
    QMP query-cpus-fast lists, 'main' running on CPU 0 (it runs the
    command), IDs unique, states valid; run times no longer than the host
    has had QEMU running, and main's growing as fast as the host's clock,
    since main never leaves CPU 0 while the console waits for input."""
    kernel = running_boot(cmdline="console", serial_input=True, qmp=True, smp=4)
    Console(kernel)
    qmp = QmpClient(kernel.workdir / "qmp.sock")
    try:
        cpus = sorted(cpu["cpu-index"] for cpu in qmp.execute("query-cpus-fast"))
    finally:
        qmp.close()
    assert len(cpus) == 4
    first, (count, online), typed_first, seen_first = thread_table(kernel)
    assert (count, online) == (len(first), len(cpus))
    by_name = {row["name"]: row for row in first}
    assert len(by_name) == len(first), f"a name twice: {first}"
    assert len({row["id"] for row in first}) == len(first), f"an ID twice: {first}"
    idle_names = {name for name in by_name if name.startswith("idle/")}
    assert idle_names == {f"idle/{cpu}" for cpu in cpus}
    for cpu in cpus:
        idle = by_name[f"idle/{cpu}"]
        assert (idle["pinned"], idle["cpu"]) == (str(cpu), cpu), idle
    main = by_name["main"]
    assert (main["state"], main["cpu"], main["pinned"]) == ("running", 0, "0"), main
    for row in first:
        assert row["state"] in THREAD_STATES and row["priority"] in {"low", "normal", "high"}, row
        assert row["cpu"] in cpus and (row["pinned"] == "any" or int(row["pinned"]) in cpus), row

    time.sleep(2)
    second, _, typed_second, seen_second = thread_table(kernel)
    uptime_ms = (seen_second - kernel.started) * 1000
    for row in second:
        assert row["run_ms"] <= uptime_ms, f"{row} ran longer than QEMU has run ({uptime_ms:.0f} ms)"
    assert sum(row["run_ms"] for row in second) <= len(cpus) * uptime_ms
    # main ran between the two snapshots, which the kernel took after the
    # host typed each command and before the host saw each answer. 5% for
    # the TSC's measured rate, and a millisecond for the rounding.
    grew = {row["name"]: row["run_ms"] for row in second}["main"] - main["run_ms"]
    most, least = (seen_second - typed_first) * 1000, (typed_second - seen_first) * 1000
    assert least * 0.95 - 1 <= grew <= most * 1.05 + 1, f"main grew {grew} ms, host saw {least:.0f}-{most:.0f} ms"


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
