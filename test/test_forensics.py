"""Forensics (issue 18): a failing boot's report gives the file:line of every
code address in it (harness/symbolize.py, from the ELF's DWARF), return
addresses looked up at the call, not the line after it; ci/boot.sh shows a
person the same; a fault's panic line names the fault's site."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness import multiboot2 as mb2
from harness.impostor import impostor_timeout

# Every boot here is heavy for its length (spinning CPUs, QEMU's -d int log
# of every interrupt, record/replay under -icount): beside the kernel-test
# boot's timer measurements they starved its virtual CPUs (the tick rate read
# 13.6% off the PM timer over 20 windows in a full run). In its xdist group,
# never at the same time.
pytestmark = pytest.mark.xdist_group("kernel-tests")

TEST_DIR = Path(__file__).resolve().parent
REPO = TEST_DIR.parent
SOURCE_LINE = re.compile(r"^ +(?:0x[0-9a-f]+ )?at ((?:src|asm)/[^:]+):(\d+)")
CODE_ADDRESS_LINE = re.compile(r"^\[FAULT\]   (?:RIP|#(\d+)) (0x[0-9a-f]{16}) ")


def source_text(place):
    path, line = place
    return (REPO / path).read_text().splitlines()[int(line) - 1]


def located_addresses(lines):
    """{label: (file, line)} for each RIP and backtrace line of a decorated
    fault report, from the line after it; a label without one maps to None."""
    found = {}
    for index, line in enumerate(lines):
        match = CODE_ADDRESS_LINE.match(line)
        if not match:
            continue
        label = "RIP" if match.group(1) is None else f"#{match.group(1)}"
        after = SOURCE_LINE.match(lines[index + 1]) if index + 1 < len(lines) else None
        found[label] = after.groups() if after else None
    return found


# Where the unmapped-read fault happens and the calls that led there: the
# text each reported line must hold, read from the source itself. The
# return addresses (#1 on) name the line of the call only when looked up at
# the address minus one: the instruction after a call is often on the next
# line (boot64.asm's `call kernel_main` is one such).
UNMAPPED_READ_CHAIN = {
    "RIP": "kUnmappedAddress",
    "#0": "kUnmappedAddress",
    "#1": "kind.trigger()",
    "#2": "inject_fault(",
    "#3": "call kernel_main",
}


def decorated_report_lines(result):
    report = result.report().splitlines()
    start = next(index for index, line in enumerate(report) if line.startswith("--- serial log"))
    return report[start + 1:]


def test_a_fault_report_gives_every_code_address_its_file_and_line(boot):
    result = boot(cmdline="exit fault=unmapped-read")
    lines = decorated_report_lines(result)
    located = located_addresses(lines)
    assert set(located) == set(UNMAPPED_READ_CHAIN), located
    for label, text in UNMAPPED_READ_CHAIN.items():
        assert located[label] is not None, f"{label} has no file:line:\n" + "\n".join(lines)
        assert text in source_text(located[label]), (label, located[label], source_text(located[label]))
    # The panic line names the fault's site, and that address is decorated too.
    panic = next(index for index, line in enumerate(lines) if line.startswith("[PANIC] unhandled #PF"))
    rip = next(line for line in lines if line.startswith("[FAULT]   RIP ")).split()[2]
    assert f" at {rip} " in lines[panic], (rip, lines[panic])
    assert SOURCE_LINE.match(lines[panic + 1]).groups() == located["RIP"], lines[panic:panic + 2]


# The counters of a kernel built for coverage change what GCC inlines.
@pytest.mark.uninstrumented
def test_inlined_functions_are_named_with_the_function_they_are_inlined_into(boot):
    # lockdep-abba's backtraces start in SpinlockGuard's constructor, into
    # which the validator's acquire and Spinlock::lock are inlined (the
    # validator's header functions are always_inline or small).
    result = boot(cmdline="exit fault=lockdep-abba")
    lines = decorated_report_lines(result)
    first = next(index for index, line in enumerate(lines) if re.match(r"^\[LOCKDEP\]   #0 ", line))
    assert "SpinlockGuard::SpinlockGuard" in lines[first], lines[first]
    assert re.match(r"^ +at src/sync/spinlock\.h:\d+ \(.+, inlined\)$", lines[first + 1]), lines[first:first + 4]
    callers = []
    for line in lines[first + 2:]:
        if not line.startswith("            by "):
            break
        callers.append(line)
    assert callers and callers[-1].startswith("            by sync::SpinlockGuard::SpinlockGuard("), callers
    assert all(line.endswith(" (inlined)") for line in callers[:-1]), callers


def test_the_boot_command_shows_file_and_line_too(build_dir):
    # What ci/boot.sh runs after building, unattended (no terminal). At a
    # terminal it runs QEMU through the same run_decorated, keeping stdin
    # for QEMU; a fresh root (a chroot without /dev/pts) has no terminal to
    # test that with.
    done = subprocess.run([sys.executable, "-m", "harness.run", f"--build-dir={build_dir}", "--",
                           "fault=unmapped-read"],
                          cwd=TEST_DIR, stdin=subprocess.DEVNULL, capture_output=True, timeout=150)
    output = done.stdout.decode("utf-8", errors="replace").splitlines()
    assert done.returncode != 0 and b"rayos: the boot failed: QEMU exit status 35" in done.stderr, done.stderr
    located = located_addresses([line.rstrip("\r") for line in output])
    assert located.get("RIP") is not None, "\n".join(output)
    assert UNMAPPED_READ_CHAIN["RIP"] in source_text(located["RIP"])
    assert located.get("#3") is not None and "call kernel_main" in source_text(located["#3"])


# Hangs. The kernel's hang-* fault words hang on purpose; the harness, at
# the timeout, stops QEMU and reports each CPU. Expected places come from
# the source (the lines of the function that spins) and from the binary
# QEMU ran (the impostor's hlt), never from the report itself.
# The boot announces its hang ("[FAULT] hang: ..."); the harness examines
# it a second later, as it would at a timeout.
HANG_BOOT = dict(stop_on="[FAULT] hang:", linger=1.0, examine_on_stop=True, timeout=60)
HANG_TRIGGERS = REPO / "src/kernel/hang_triggers.cpp"
HANG_CPU_LINE = re.compile(r"^CPU (\d+): (RIP|EIP \(32-bit\)) (0x[0-9a-f]+)(?: (.+) at ((?:src|asm)/[^:]+):(\d+))?"
                           r"  \[as in \d+ of \d+ samples\]$")


def function_lines(path, signature):
    """The line numbers of the body of the function whose definition line
    contains signature."""
    lines = path.read_text().splitlines()
    start = next(number for number, text in enumerate(lines, 1) if signature in text and not text.endswith(";"))
    end = next(number for number, text in enumerate(lines[start:], start + 1) if text == "}")
    return range(start, end + 1)


def hang_sections(result):
    """{cpu: [its lines]} and the log tail, from the report's hang section."""
    assert result.hang_report, result.report()
    cpus, current, log = {}, None, []
    for line in result.hang_report:
        match = HANG_CPU_LINE.match(line)
        if match:
            current = cpus.setdefault(int(match.group(1)), [])
        elif line.startswith("the kernel's in-memory log"):
            current = log
        if current is not None:
            current.append(line)
    return cpus, log


HANG_FRAME_LINE = re.compile(r"^  #1 0x[0-9a-f]{16} .+ at ((?:src|asm)/[^:]+):(\d+)$")


def assert_spins_in(cpu_lines, function_signature, interrupts):
    # At the RIP, or (stopped in arch::cpu_relax, which the loop calls) at
    # the first caller.
    where = HANG_CPU_LINE.match(cpu_lines[0])
    assert where, cpu_lines
    place = where.group(5, 6)
    if place[0] != "src/kernel/hang_triggers.cpp":
        assert "arch::cpu_relax()" in cpu_lines[0], cpu_lines
        caller = HANG_FRAME_LINE.match(cpu_lines[2])
        assert caller, cpu_lines
        place = caller.group(1, 2)
    assert place[0] == "src/kernel/hang_triggers.cpp", cpu_lines
    assert int(place[1]) in function_lines(HANG_TRIGGERS, function_signature), cpu_lines
    assert cpu_lines[1].startswith(f"  interrupts {interrupts} (RFLAGS 0x"), cpu_lines
    assert "halted" not in cpu_lines[1], cpu_lines


def test_a_hang_with_interrupts_off_is_reported_with_where_the_cpu_spins(boot):
    result = boot(cmdline="fault=hang-interrupts-off", **HANG_BOOT)
    assert result.outcome.value == "stopped", result.report()
    cpus, log = hang_sections(result)
    assert sorted(cpus) == [0], result.hang_report
    assert_spins_in(cpus[0], "void spin_with_interrupts_off()", "off")
    backtrace = "\n".join(cpus[0][2:])
    assert "kernel::inject_fault(" in backtrace and "kernel_main at src/kernel/main.cpp:" in backtrace, backtrace
    # The in-memory log, read from guest memory at the ELF's g_history,
    # ends as the serial port's log does.
    assert log[-1].strip() == [line for line in result.lines if line.strip()][-1], log
    assert "--- at the timeout, QEMU stopped" in result.report()


def test_a_hang_on_one_cpu_is_told_apart_from_the_cpus_that_idle(boot):
    result = boot(cmdline="fault=hang-spinning", smp=2, **HANG_BOOT)
    assert result.outcome.value == "stopped", result.report()
    cpus, log = hang_sections(result)
    assert sorted(cpus) == [0, 1], result.hang_report
    assert_spins_in(cpus[1], "uint64_t spin_forever(void*)", "on")
    assert any("sched::thread_start(void*)" in line for line in cpus[1][2:]), cpus[1]
    # CPU 0: its idle thread halts with interrupts on, waiting for one.
    assert cpus[0][1].startswith("  interrupts on (RFLAGS 0x") and cpus[0][1].endswith(", halted (hlt)"), cpus[0]
    assert any("sched::(anonymous namespace)::idle_loop()" in line for line in cpus[0][2:]), cpus[0]
    assert log[-1].strip() == [line for line in result.lines if line.strip()][-1], log


def test_a_hang_before_any_kernel_is_reported_in_32_bit_terms(boot, direct_boot_binaries):
    # The impostor halts with interrupts off straight from QEMU's loader:
    # no IDT, no paging, no kernel ELF.
    binary = direct_boot_binaries["impostor_kernel"]
    result = boot(direct_kernel=binary, append="#hang#", timeout=impostor_timeout("#hang#"))
    assert result.outcome.value == "timeout", result.report()
    cpus, log = hang_sections(result)
    assert sorted(cpus) == [0] and not log, result.hang_report
    where = HANG_CPU_LINE.match(cpus[0][0])
    assert where.group(2) == "EIP (32-bit)", cpus[0]
    eip = int(where.group(3), 16)
    image = binary.read_bytes()
    load_address = 0x400000      # test/direct_boot/flat_multiboot1.inc
    assert image[eip - 1 - load_address] == 0xF4, f"no hlt before EIP {eip:#x}"
    assert cpus[0][1].startswith("  interrupts off") and cpus[0][1].endswith(", halted (hlt)"), cpus[0]


# Triple faults and resets. The harness reruns such a boot once under QEMU's
# -d int,cpu_reset and gives the chain of exceptions. Expected: the vector
# chain the CPU must take with no usable IDT (SDM Vol. 3A 6.15: a fault
# while delivering a fault is #DF, a fault while delivering #DF a triple
# fault), each #GP's error code built here from the vector whose gate was
# missing (bit 1: the IDT; the vector above it), the instruction from the
# binary or the source.
def idt_error_code(vector, long_mode=False):
    # SDM 6.13: the index field (bits 3-15) holds the vector. QEMU 7.2's
    # 64-bit delivery (do_interrupt64) reports vector * 16 + 2 instead, the
    # gate's byte offset; its 32-bit one follows the SDM.
    return (vector << 4 if long_mode else vector << 3) | 0b010


def test_a_triple_fault_before_any_kernel_is_explained_with_its_chain(boot, direct_boot_binaries):
    binary = direct_boot_binaries["impostor_kernel"]
    result = boot(direct_kernel=binary, append="#triple#", timeout=impostor_timeout("#triple#"))
    assert result.outcome.value == "triple fault", result.report()
    assert result.reset_report[0] == "rerun once under -d int,cpu_reset, which ended the same way", result.reset_report
    match = re.match(rf"^#BP \(int3\) at (0x[0-9a-f]+) -> #GP \(error {idt_error_code(3):#06x}\) at \1 -> "
                     r"#DF \(error 0x0000\) at \1 -> triple fault$", result.reset_report[1])
    assert match, result.reset_report
    assert binary.read_bytes()[int(match.group(1), 16) - 0x400000] == 0xCC, "no int3 at the IP"
    assert "  IDT=     00000000 00000000" in result.reset_report, result.reset_report
    assert "--- why it reset, from QEMU's log under -d int,cpu_reset ---" in result.report()


def test_a_kernel_triple_fault_names_the_faulting_function_and_line(boot):
    result = boot(cmdline="exit fault=triple-fault")
    assert result.outcome.value == "triple fault", result.report()
    match = re.match(rf"^#UD at (0x[0-9a-f]+) arch::trigger_invalid_opcode\(\) \((src/[^:]+):(\d+)\) -> "
                     rf"#GP \(error {idt_error_code(6, long_mode=True):#06x}\) at \1 -> "
                     r"#DF \(error 0x0000\) at \1 -> triple fault$",
                     result.reset_report[1])
    assert match, result.reset_report
    path = REPO / match.group(2)
    assert int(match.group(3)) in function_lines(path, "void trigger_invalid_opcode()"), match.group(0)
    # The kernel had said which fault it injects; QEMU's registers show the empty IDT.
    assert "[BOOT] fault injection: triple-fault" in result.lines
    assert any(line.startswith("  IDT=     0000000000000000 00000000") for line in result.reset_report), \
        result.reset_report


def test_a_reset_asked_for_is_told_apart_from_a_fault(boot, direct_boot_binaries):
    result = boot(direct_kernel=direct_boot_binaries["impostor_kernel"], append="#reset#",
                  timeout=impostor_timeout("#reset#"))
    assert result.outcome.value == "reset", result.report()
    assert result.reset_report[1].startswith("QEMU logged no triple fault: the reset was asked for"), \
        result.reset_report


# Deterministic reruns: QEMU's record/replay. A recorded boot replays the
# same log byte for byte, TSC figures included; a second recording of the
# same boot does not, which is what makes the first comparison mean
# something. Under -icount the kernel's own measurements come out the same
# in both recordings (they are instruction counts, and the kernel busy-waits
# on its clocks), but the TSC at boot_entry does not: the firmware and GRUB
# wait for the host's time, which QEMU records.


def serial_bytes(tmp_path, index):
    return (tmp_path / f"boot{index}" / "serial.log").read_bytes()


@pytest.mark.slow
def test_a_recorded_boot_replays_byte_for_byte(boot, tmp_path):
    recording = tmp_path / "recording"
    recorded = boot(cmdline="exit", record_replay="record", recording=str(recording))
    assert recorded.outcome.value == "passed", recorded.report()
    replayed = boot(record_replay="replay", recording=str(recording))
    assert replayed.outcome.value == "passed", replayed.report()
    assert serial_bytes(tmp_path, 1) == serial_bytes(tmp_path, 0)
    assert any(line.startswith("[TIMER] TSC ") for line in replayed.lines), replayed.lines
    other = boot(cmdline="exit", record_replay="record", recording=str(tmp_path / "another"))
    assert other.outcome.value == "passed", other.report()
    assert serial_bytes(tmp_path, 2) != serial_bytes(tmp_path, 0), "two recordings gave the same log"


def boot_command(build, *arguments):
    """harness.run as ci/boot.sh runs it (after building), unattended."""
    return subprocess.run([sys.executable, "-m", "harness.run", f"--build-dir={build}", *arguments],
                          cwd=TEST_DIR, stdin=subprocess.DEVNULL, capture_output=True, timeout=150)


def private_build(build_dir, tmp_path):
    """A build folder of links to the real ISOs and ELFs, so this test's boots
    (harness.run writes into <build>/boot) stay apart from other tests'."""
    build = tmp_path / "build"
    build.mkdir()
    for name in ("rayos.iso", "rayos.elf", "rayos-release.iso", "rayos-release.elf"):
        (build / name).symlink_to(build_dir / name)
    return build


@pytest.mark.slow
def test_the_boot_command_records_and_replays(build_dir, tmp_path):
    build = private_build(build_dir, tmp_path)
    recording = tmp_path / "recording"
    recorded = boot_command(build, "--record", str(recording), "--", "exit")
    assert recorded.returncode == 0, recorded.stderr
    assert f"replay: bash ci/boot.sh --replay {recording}".encode() in recorded.stderr
    replayed = boot_command(build, "--replay", str(recording))
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == recorded.stdout and b"[BOOT] RayOS ready" in replayed.stdout


def test_the_boot_command_boots_the_release_kernel_unless_asked_for_the_test_kernel(build_dir, tmp_path):
    build = private_build(build_dir, tmp_path)
    release = boot_command(build, "--", "test=no-such-test")
    assert b"[BOOT] warning: this kernel has no kernel tests linked in" in release.stdout, release.stdout[-2000:]
    test_kernel = boot_command(build, "--test-kernel", "--", "test=no-such-test")
    assert (b"[BOOT] warning: test='no-such-test' selects no kernel test" in test_kernel.stdout
            ), test_kernel.stdout[-2000:]


def test_a_replay_refuses_another_iso_and_recording_refuses_several_cpus(build_dir, tmp_path):
    build = private_build(build_dir, tmp_path)
    recording = tmp_path / "recording"
    assert boot_command(build, "--record", str(recording), "--", "exit").returncode == 0
    other = tmp_path / "other"
    other.mkdir()
    # The boot command boots the release kernel.
    (other / "rayos-release.iso").write_bytes((build_dir / "rayos-release.iso").read_bytes() + b"\0")
    (other / "rayos-release.elf").symlink_to(build_dir / "rayos-release.elf")
    refused = boot_command(other, "--replay", str(recording))
    assert refused.returncode != 0
    assert b"is not the ISO recorded in" in refused.stderr, refused.stderr
    # A recording from before the CD moved to AHCI has no layout, or another.
    facts_path = recording / "recording.json"
    facts = json.loads(facts_path.read_text())
    assert facts["disks"] == "the CD on an AHCI port, the command-line disk on ide.0"
    del facts["disks"]
    facts_path.write_text(json.dumps(facts))
    stale = boot_command(build, "--replay", str(recording))
    assert stale.returncode != 0
    assert (b"was recorded with the CD on the IDE channel (before the layout was recorded); boots now have "
            b"the CD on an AHCI port, the command-line disk on ide.0: record it again") in stale.stderr, stale.stderr
    several = boot_command(build, "--smp", "2", "--record", str(tmp_path / "smp"), "--", "exit")
    assert several.returncode != 0
    assert b"record/replay needs one CPU: QEMU 7.2 cannot record -smp 2" in several.stderr, several.stderr


@pytest.mark.slow
def test_a_failing_recorded_boot_says_how_to_replay_it_and_replays_its_panic(boot, tmp_path):
    recording = tmp_path / "recording"
    failed = boot(cmdline="exit fault=unmapped-read", record_replay="record", recording=str(recording))
    assert failed.outcome.value == "panic", failed.report()
    assert f"recorded: replay it exactly with bash ci/boot.sh --replay {recording}" in failed.report()
    replayed = boot(record_replay="replay", recording=str(recording))
    assert serial_bytes(tmp_path, 1) == serial_bytes(tmp_path, 0)
    assert replayed.outcome.value == "panic" and replayed.lines[-2:] == failed.lines[-2:]


def test_a_breakpoint_report_names_the_int3_line_not_the_next(boot):
    # #BP is a trap: the reported RIP is past the int3, and the kernel looks
    # it up one byte back; the decoder must too.
    result = boot(cmdline="exit fault=breakpoint")
    lines = decorated_report_lines(result)
    rip = next(index for index, line in enumerate(lines) if line.startswith("[FAULT]   RIP "))
    place = SOURCE_LINE.match(lines[rip + 1])
    assert place, lines[rip:rip + 2]
    assert "int3" in source_text(place.groups()), (place.groups(), source_text(place.groups()))


def test_a_kernel_entered_by_the_hand_off_loader_is_decorated_too(handoff_boot):
    # A direct boot: the hand-off loader enters RayOS's ELF, its first module.
    record = mb2.handoff(mb2.information([mb2.command_line("exit fault=unmapped-read"), mb2.memory_map(),
                                          mb2.end()]))
    result = handoff_boot(record, timeout=20)
    located = located_addresses(decorated_report_lines(result))
    assert located.get("RIP") is not None, result.report()
    assert UNMAPPED_READ_CHAIN["RIP"] in source_text(located["RIP"])


def test_a_live_boot_that_never_prints_the_line_awaited_says_where_it_is(running_boot):
    running = running_boot(cmdline="fault=hang-interrupts-off")
    running.wait_for_line("[FAULT] hang:", timeout=60)
    try:
        running.wait_for_line("[BOOT] a line that never comes", timeout=1)
    except AssertionError as error:
        message = str(error)
    else:
        raise AssertionError("wait_for_line found a line the kernel never prints")
    assert "(QEMU running); where it was:" in message, message
    cpu = [line for line in message.splitlines() if line.startswith("CPU 0: ")]
    assert cpu and "spin_with_interrupts_off" in message and "  interrupts off (RFLAGS" in message, message
    assert "--- at the timeout, QEMU stopped" in running.finish().report()
