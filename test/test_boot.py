"""Boot tests: the real ISO under QEMU, BIOS and UEFI, judged by what the
kernel prints on COM1 and how QEMU exits."""

import re

import pytest

import benchmark  # ci/benchmark.py (pytest.ini puts ci/ on the path)
from harness.cpus import qmp_of, sample_until_every_cpu_halts
from harness.outcome import EXIT_FAILURE, Outcome
from harness.qmp import QmpClient

# Lines every successful boot prints, in this order, before the ready line.
BOOT_SEQUENCE = [
    "[SERIAL] COM1 at 0x3f8: 16550, 115200 8N1, FIFO on, loopback self-test passed",
    "[BOOT] RayOS 0.1.0 booting",
    "[BOOT] C++ runtime:",
    "[BOOT] loader: GRUB",
    "[BOOT] command line:",
    "[MEM] memory map:",
    "[MEM] usable memory:",
    "[MEM] kernel image:",
    "[MEM] W^X check: 0 writable+executable pages",
    "[MEM] Heap allocator initialized at 0x",
    "[MEM] Test allocation successful: 0x",
    "[MEM] Stats: ",
    "[MEM] Physical: ",
    "[BOOT] RayOS ready",
]


def assert_boot_sequence(result):
    assert result.outcome is Outcome.PASSED, result.reason
    position = 0
    for expected in BOOT_SEQUENCE:
        while position < len(result.lines) and not result.lines[position].startswith(expected):
            position += 1
        assert position < len(result.lines), f"missing, or out of order: {expected!r}"
    # Nothing after the ready line: the kernel left QEMU right there.
    assert result.kernel_lines[-1].startswith("[BOOT] RayOS ready")


def test_bios_boot_reaches_ready(boot, each_kernel):
    assert_boot_sequence(boot(firmware="bios", iso=each_kernel[0]))


@pytest.mark.slow
@pytest.mark.uefi
def test_uefi_boot_reaches_ready(boot, each_kernel):
    # From a fresh variable store, as a new machine boots: the suite's other
    # UEFI boots may start from one an earlier boot left (harness/firmware.py).
    result = boot(firmware="uefi", timeout=90, iso=each_kernel[0], fresh_uefi_variables=True)
    assert_boot_sequence(result)
    assert result.lines_with("[MEM] memory map:")


# Under -icount shift=0,sleep=off (benchmark.DETERMINISTIC_CLOCK) QEMU's
# clock moves one nanosecond an instruction, so the TSC at boot_entry
# measures the firmware's work and its timed waits, not the host's speed.
# From a fresh variable store the test kernel enters at 1879.5 ms with the
# TPM 1.2 and at 2731.1 ms without one: OVMF's two 750 ms waits are gone,
# less the 650 ms its measuring into the TPM costs. A TPM 2.0 puts it at
# 6426 ms. The bound sits between the first two. Not to the instruction:
# QEMU waits for swtpm's answers in host time (0.2 ms apart over runs).
UEFI_ENTRY_WITH_TPM_BOUND_NS = 2_300_000_000


@pytest.mark.uefi
@pytest.mark.slow
def test_a_uefi_boot_carries_the_tpm_that_spares_ovmf_its_wait(running_boot):
    """harness/software_tpm.py: every UEFI boot has a TPM 1.2 on swtpm, or
    OVMF spends 1.5 s probing for one. QEMU is the oracle twice: its TPM
    devices, asked while the kernel runs, and its instruction clock, which
    puts the kernel's entry before where OVMF's wait would end."""
    kernel = running_boot(firmware="uefi", cmdline="", qmp=True, timeout=90, fresh_uefi_variables=True,
                          extra_args=benchmark.DETERMINISTIC_CLOCK)
    kernel.wait_for_line("[BOOT] RayOS ready", timeout=60)
    monitor = QmpClient(kernel.workdir / "qmp.sock")
    try:
        devices = monitor.execute("query-tpm")
    finally:
        monitor.close()
    assert [(device["model"], device["options"]["type"]) for device in devices] == [("tpm-tis", "emulator")]
    [entry] = [int(match.group(1)) for line in kernel.lines() if (match := benchmark.READY_TSC.match(line))]
    assert entry < UEFI_ENTRY_WITH_TPM_BOUND_NS, kernel.lines()


def test_cpu_without_long_mode_stops_with_fatal_line(boot):
    result = boot(cpu="qemu32")
    assert result.outcome is Outcome.FATAL, result.reason
    assert result.exit_status == EXIT_FAILURE
    assert result.kernel_lines == ["[BOOT] FATAL: CPU has no long mode (x86_64 required)"]


def assert_halted_for_good(kernel, last_line):
    """Once last_line is printed, QEMU must show every CPU halted with
    interrupts off: only an NMI or a reset could move it on, so nothing
    more comes. (A reset would end QEMU, -no-reboot.)"""
    kernel.wait_for_line(last_line, timeout=30)
    with qmp_of(kernel) as qmp:
        states, text = sample_until_every_cpu_halts(qmp, settled=lambda states: not any(on for _, _, on in states),
                                                    timeout=5)
    assert all(halted and not interrupts_on for _, halted, interrupts_on in states), text
    assert kernel.process.poll() is None, "QEMU ended: a reset?"


def test_without_exit_device_a_fatal_error_halts_instead_of_resetting(running_boot):
    # No isa-debug-exit: the trampoline's write goes nowhere, and the CPU must
    # then sit halted with interrupts off, in 32-bit code.
    kernel = running_boot(cpu="qemu32", exit_device=False, qmp=True)
    assert_halted_for_good(kernel, "[BOOT] FATAL")
    result = kernel.finish()
    assert result.kernel_lines == ["[BOOT] FATAL: CPU has no long mode (x86_64 required)"]
    assert "Triple fault" not in result.qemu_log


PANIC_LINE = re.compile(r"^\[PANIC\] fault injection: panic requested on the command line "
                        r"\(src/kernel/fault_injection\.cpp:\d+\) on CPU 0$")


def test_kernel_panic_names_message_file_and_line_and_exits_with_failure(boot):
    result = boot(cmdline="exit fault=panic")
    assert result.outcome is Outcome.PANIC, result.reason
    assert result.exit_status == EXIT_FAILURE
    assert PANIC_LINE.match(result.kernel_lines[-1]), result.kernel_lines[-1]
    # Between the request and the [PANIC] line, only the backtrace of the
    # panic and the thread that raised it.
    requested = result.kernel_lines.index("[BOOT] fault injection: panic")
    assert re.match(r"^\[PANIC\] in thread 'main' \(id \d+\):$", result.kernel_lines[-2]), result.kernel_lines[-2]
    backtrace = result.kernel_lines[requested + 1:-2]
    assert backtrace[0] == "[FAULT] backtrace of the panic:", backtrace
    assert backtrace[1:] and all(
        re.match(r"^\[FAULT\]   #\d+ 0x[0-9a-f]{16} ", line) for line in backtrace[1:]), backtrace
    assert not result.lines_with("[BOOT] RayOS ready")


def test_kernel_panic_without_exit_device_halts(running_boot):
    kernel = running_boot(cmdline="fault=panic", exit_device=False, qmp=True)
    assert_halted_for_good(kernel, "[PANIC] fault injection: panic requested")
    result = kernel.finish()
    assert result.outcome is Outcome.STOPPED, result.reason
    assert PANIC_LINE.match(result.kernel_lines[-1]), result.kernel_lines[-1]
    assert "Triple fault" not in result.qemu_log


def test_loader_that_is_not_multiboot2_is_refused(boot):
    # GRUB's Multiboot1 loader enters the same image with EAX = 0x2badb002.
    result = boot(loader="multiboot")
    assert result.outcome is Outcome.FATAL, result.reason
    assert result.exit_status == EXIT_FAILURE
    assert result.kernel_lines == [
        "[BOOT] FATAL: not started by a Multiboot2 loader (EAX=0x2badb002, expected 0x36d76289)"]


@pytest.mark.parametrize("typed, as_written", [
    ("exit alpha=1 beta", "exit alpha=1 beta"),
    # GRUB wraps a word with spaces in quotes and escapes the quotes inside
    # it (grub_create_loader_cmdline); the kernel's parser undoes both.
    ('exit greeting="hello world" say=\\"hi\\"', 'exit "greeting=hello world" say=\\"hi\\"'),
])
def test_command_line_reaches_kernel_through_grub(boot, typed, as_written):
    result = boot(cmdline=typed)
    assert result.outcome is Outcome.PASSED, result.reason
    assert f'[BOOT] command line: "{as_written}"' in result.lines


@pytest.mark.parametrize("cmdline, warnings", [
    ("exit", []),
    ("exit frobnicate colour=blue", [
        "[BOOT] warning: unknown option 'frobnicate' ignored",
        "[BOOT] warning: unknown option 'colour' (value 'blue') ignored",
    ]),
    ("exit exit=later", ["[BOOT] warning: option 'exit' takes no value; 'exit=later' ignored"]),
    ("exit fault", ["[BOOT] warning: option 'fault' needs a value (fault=...); ignored"]),
    ("exit fault=melt", ["[BOOT] warning: unknown fault kind 'melt' ignored (known: panic, divide-by-zero, "
                         "invalid-opcode, breakpoint, general-protection, unmapped-read, null-pointer, "
                         "read-only-write, no-execute-fetch, stack-overflow, nested, corrupt-frame-pointer, "
                         "triple-fault, stack-smash, "
                         "ubsan-signed-overflow, ubsan-shift, ubsan-misaligned, ubsan-out-of-bounds, ubsan-null, "
                         "ubsan-unreachable, ubsan-invalid-bool, ubsan-division-by-zero, "
                         "ro-after-init-write, heap-execute, "
                         "use-after-free, double-free, foreign-free, heap-header-overwrite, "
                         "thread-page-fault, thread-stack-overflow, thread-stack-given-back-twice, "
                         "mutex-unlock-not-owner, mutex-in-interrupt, "
                         "sleep-with-interrupts-off, exit-holding-mutex, yield-holding-spinlock, sleep-in-idle-thread, "
                         "lockdep-abba, hang-interrupts-off, hang-spinning)"]),
    ('exit greeting="hello world" say=\\"hi\\"', [
        "[BOOT] warning: unknown option 'greeting' (value 'hello world') ignored",
        "[BOOT] warning: unknown option 'say' (value '\"hi\"') ignored",
    ]),
])
def test_each_word_the_kernel_does_not_take_gets_a_warning(boot, cmdline, warnings):
    result = boot(cmdline=cmdline)
    assert result.outcome is Outcome.PASSED, result.reason
    assert result.lines_with("[BOOT] warning:") == warnings


def test_without_exit_the_kernel_halts_after_ready(boot):
    # An empty command line: no warning, the defaults, and a halt.
    result = boot(cmdline="", stop_on="[BOOT] halted")
    assert result.outcome is Outcome.STOPPED, result.reason
    assert result.kernel_lines[-2].startswith("[BOOT] RayOS ready")
    assert '[BOOT] command line: ""' in result.lines
    assert result.lines_with("[BOOT] warning:") == []


@pytest.mark.parametrize("memory_mib", [64, 512])
def test_usable_memory_adds_up(boot, memory_mib):
    result = boot(memory=f"{memory_mib}M")
    assert result.outcome is Outcome.PASSED, result.reason
    regions = [re.match(r"\[MEM\]   base (0x[0-9a-f]+) length (0x[0-9a-f]+) (.+)$", line)
               for line in result.lines_with("[MEM]   base")]
    assert regions and all(regions)
    count = int(re.search(r"memory map: (\d+) regions", result.lines_with("[MEM] memory map:")[0]).group(1))
    assert count == len(regions)
    usable = sum(int(m.group(2), 16) for m in regions if m.group(3) == "usable")
    (summary,) = result.lines_with("[MEM] usable memory:")
    reported = re.search(r"usable memory: (\d+) bytes \((\d+) MiB\)", summary)
    assert int(reported.group(1)) == usable
    assert int(reported.group(2)) == usable >> 20
    # SeaBIOS keeps a little for itself; everything else of -m is usable.
    assert memory_mib * 2**20 - 2 * 2**20 <= usable <= memory_mib * 2**20


# Bad and odd command lines: each has a defined result, never a hang or a crash.

def test_a_repeated_option_is_warned_about_and_the_last_one_counts(boot):
    result = boot(cmdline="exit timer_hz=100 timer_hz=250")
    assert result.outcome is Outcome.PASSED, result.reason
    assert result.lines_with("[BOOT] warning:") == [
        "[BOOT] warning: option 'timer_hz' given more than once; the last one counts"]
    assert any(line.startswith("[TIMER] local APIC timer periodic at 250 Hz") for line in result.lines)


def test_non_ascii_words_are_unknown_options_not_a_crash(boot):
    result = boot(cmdline="exit caf\u00e9=cr\u00e8me \u00fc")
    assert result.outcome is Outcome.PASSED, result.reason
    assert result.lines_with("[BOOT] warning:") == [
        "[BOOT] warning: unknown option 'caf\u00e9' (value 'cr\u00e8me') ignored",
        "[BOOT] warning: unknown option '\u00fc' ignored"]


def test_a_malformed_word_is_dropped_alone_with_a_warning_naming_it(boot):
    # `exit` after the bad word still counts: the boot exits instead of halting.
    result = boot(cmdline="=value exit")
    assert result.outcome is Outcome.PASSED, result.reason
    assert result.lines_with("[BOOT] warning:") == [
        "[BOOT] warning: dropped '=value' from the command line: a value without a key"]


def test_a_word_crossing_the_length_limit_is_dropped_with_the_rest_and_the_words_before_count(boot):
    cmdline = "exit word=" + "x" * 5000 + " timer_hz=100"
    result = boot(cmdline=cmdline)
    assert result.outcome is Outcome.PASSED, result.reason
    assert result.lines_with("[BOOT] warning:") == [
        "[BOOT] warning: dropped '" + "word=" + "x" * 35 + "...' and the rest of the command line "
        f"({len(cmdline) - 5} bytes from offset 5): the line is longer than the kernel keeps (4096 bytes)"]
    assert any(line.startswith("[TIMER] local APIC timer periodic at 1000 Hz") for line in result.lines)


def test_words_past_the_word_limit_are_dropped_and_the_first_64_count(boot):
    words = ["exit"] + [f"w{i}" for i in range(70)]
    result = boot(cmdline=" ".join(words))
    assert result.outcome is Outcome.PASSED, result.reason
    warnings = result.lines_with("[BOOT] warning:")
    dropped = " ".join(words[64:])
    assert warnings[0] == (f"[BOOT] warning: dropped '{dropped}' and the rest of the command line "
                           f"({len(dropped)} bytes from offset {len(' '.join(words[:64])) + 1}): "
                           "more words than the kernel keeps (64)")
    assert warnings[1:] == [f"[BOOT] warning: unknown option '{word}' ignored" for word in words[1:64]]


# After the ready line the kernel does one thing: fault, then test, then exit,
# then console wins, and each word that lost is named with the winner.
@pytest.mark.parametrize("cmdline, outcome, warnings", [
    ("console exit", Outcome.PASSED, ["'exit' and 'console' both given: 'exit' wins, 'console' ignored"]),
    ("exit console", Outcome.PASSED, ["'exit' and 'console' both given: 'exit' wins, 'console' ignored"]),
    ("test=frames fault=panic", Outcome.PANIC,
     ["'fault=panic' and 'test=frames' both given: 'fault=panic' wins, 'test=frames' ignored"]),
    ("exit test=frames", Outcome.PASSED, ["'test=frames' and 'exit' both given: 'test=frames' wins, 'exit' ignored"]),
    # A breakpoint is survived: it ends nothing, so nothing conflicts.
    ("fault=breakpoint exit", Outcome.PASSED, []),
    ("console exit fault=panic test", Outcome.PANIC, [
        "'fault=panic' and 'test' both given: 'fault=panic' wins, 'test' ignored",
        "'fault=panic' and 'exit' both given: 'fault=panic' wins, 'exit' ignored",
        "'fault=panic' and 'console' both given: 'fault=panic' wins, 'console' ignored"]),
])
def test_conflicting_endings_warn_naming_both_and_the_documented_one_wins(boot, cmdline, outcome, warnings):
    result = boot(cmdline=cmdline, timeout=60)
    assert result.outcome is outcome, result.reason
    assert result.lines_with("[BOOT] warning:") == ["[BOOT] warning: " + warning for warning in warnings]
    ran_tests = any(line.startswith("KTAP version 1") for line in result.lines)
    assert ran_tests == cmdline.startswith("exit test"), "only the winning ending runs"
    assert not any(line.startswith("rayos>") for line in result.lines), "the console never opened"
