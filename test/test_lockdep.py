"""The lock-order validator from the host side (issue 14): the fault word
lockdep-abba takes two locks A then B, then B then A, on one CPU. The
validator must name the second order before it waits, with the exact
file:line of each acquisition (found here from the marker comments in the
trigger's source, not from the kernel), backtraces that addr2line places
on those lines, and end the boot with a panic. With lockdep=off the same
orders go unreported."""

import re
import subprocess
from pathlib import Path

import pytest

from harness.ktap import parse as parse_ktap
from harness.outcome import EXIT_FAILURE, Outcome

SOURCE = "src/sync/lock_order_faults.cpp"
REPOSITORY = Path(__file__).resolve().parent.parent
FIRST = "abba first"
SECOND = "abba second"
BACKTRACE_FRAME = re.compile(r"^\[LOCKDEP\]   #(\d+) (0x[0-9a-f]{16}) (.+)$")


def marker_line(marker):
    """The line of the trigger's source that carries `// lockdep-abba: marker`."""
    lines = (REPOSITORY / SOURCE).read_text().splitlines()
    found = [number for number, text in enumerate(lines, 1) if text.endswith(f"// lockdep-abba: {marker}")]
    assert len(found) == 1, f"marker {marker!r} in {SOURCE}: lines {found}"
    return found[0]


def inlined_locations(kernel_elf, address):
    """file:line of each function addr2line finds inlined at address, innermost first."""
    output = subprocess.run(["addr2line", "-i", "-e", str(kernel_elf), hex(address)], capture_output=True,
                            text=True, check=True).stdout.splitlines()
    return [re.sub(r" \(discriminator \d+\)$", "", line) for line in output]


def frames_after(lines, heading):
    """The backtrace frames (number, address, symbol) under the first line that starts with heading."""
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    frames = []
    for line in lines[start + 1:]:
        match = BACKTRACE_FRAME.match(line)
        if not match:
            break
        frames.append((int(match[1]), int(match[2], 16), match[3]))
    return frames


def assert_first_frame_outside_the_lock_on_line(kernel_elf, frames, line):
    """The innermost frame outside the lock's own code (src/sync/spinlock.h, inlined or not) is a return
    address whose call instruction (one byte before) lies on the acquisition's line of the trigger's source,
    and it comes among the first three."""
    assert frames, "no backtrace"
    assert [number for number, _, _ in frames] == list(range(len(frames)))
    for _, address, symbol in frames[:3]:
        locations = inlined_locations(kernel_elf, address - 1)
        if "src/sync/spinlock.h:" in locations[-1]:
            continue
        on_line = [location for location in locations if location.endswith(f"{SOURCE}:{line}")]
        assert on_line, (hex(address), symbol, locations)
        return
    raise AssertionError(f"no frame outside the lock's code among {frames[:3]}")


def test_opposite_orders_are_reported_with_both_sites_and_the_boot_fails(boot, each_kernel):
    """Both kernels: the release kernel is built for size, and a validator function its compiler left out
    of line would add a frame of the validator's own to every backtrace (it did once; the test kernel
    inlined it and passed)."""
    iso, kernel_elf = each_kernel
    result = boot(cmdline="exit fault=lockdep-abba", iso=iso)
    assert result.outcome is Outcome.PANIC, result.reason
    assert result.exit_status == EXIT_FAILURE
    second_then = marker_line("second, then")
    first_after_second = marker_line("first after second")
    second_after_first = marker_line("second after first")
    first_then = marker_line("first, then")
    expected = (f"[LOCKDEP] possible deadlock: {SECOND} ({SOURCE}:{second_then}) then {FIRST} "
                f"({SOURCE}:{first_after_second}) here, but {FIRST} then {SECOND} at "
                f"{SOURCE}:{second_after_first} earlier")
    reports = result.lines_with("[LOCKDEP] possible deadlock:")
    assert reports == [expected]
    assert (f"[LOCKDEP] earlier: {FIRST} taken at {SOURCE}:{first_then}, then {SECOND} at "
            f"{SOURCE}:{second_after_first}:") in result.lines
    for heading, line in [(f"[LOCKDEP] held: {SECOND} ", second_then),
                          (f"[LOCKDEP] then taking: {FIRST} ", first_after_second),
                          ("[LOCKDEP] first held:", first_then),
                          ("[LOCKDEP] then taken:", second_after_first)]:
        assert_first_frame_outside_the_lock_on_line(kernel_elf, frames_after(result.lines, heading), line)
    assert re.match(r"^\[PANIC\] lockdep: possible deadlock \(see the \[LOCKDEP\] report above\) "
                    r"\(src/sync/lock_validator\.cpp:\d+\) on CPU 0$", result.kernel_lines[-1]), \
        result.kernel_lines[-1]


def test_with_lockdep_off_the_same_orders_go_unreported(boot):
    result = boot(cmdline="exit fault=lockdep-abba lockdep=off")
    assert result.outcome is Outcome.PANIC, result.reason
    assert "[LOCKDEP] lock-order validator off (boot word lockdep=off)" in result.lines
    assert not result.lines_with("[LOCKDEP] possible deadlock")
    assert re.match(r"^\[PANIC\] lockdep-abba: the opposite order went unreported \(lock-order validator off\) "
                    rf"\({re.escape(SOURCE)}:\d+\) on CPU 0$", result.kernel_lines[-1]), result.kernel_lines[-1]


@pytest.mark.parametrize("smp", [1, 4])
def test_the_validator_is_on_by_default_and_a_boot_raises_no_report(boot, smp):
    result = boot(cmdline="exit", smp=smp)
    assert result.outcome is Outcome.PASSED, result.reason
    assert "[LOCKDEP] lock-order validator on" in result.lines
    assert not result.lines_with("[LOCKDEP] possible") and not result.lines_with("[LOCKDEP] recursive")


def test_a_lockdep_value_other_than_on_or_off_is_refused(boot):
    result = boot(cmdline="exit lockdep=maybe")
    assert result.outcome is Outcome.PASSED, result.reason
    assert "[BOOT] warning: lockdep='maybe' ignored (on or off)" in result.lines
    assert "[LOCKDEP] lock-order validator on" in result.lines


# Each explicit kernel test of the validator's fixed sizes
# (src/sync/lock_validator_tests.cpp), and the one line it must make the
# validator log.
CAPACITY_TESTS = {
    "a_spinlock_past_the_held_lock_stack_turns_the_validator_off":
        "[LOCKDEP] held-lock stack full: lock-order validator off from here on",
    "a_class_past_the_class_table_turns_the_validator_off":
        "[LOCKDEP] lock class table full: lock-order validator off from here on",
    "an_order_past_the_graph_turns_the_validator_off":
        "[LOCKDEP] lock order graph full: lock-order validator off from here on",
}


@pytest.mark.parametrize("name", CAPACITY_TESTS)
def test_past_each_of_its_sizes_the_validator_turns_itself_off_with_one_line(boot, name):
    """Each test in a boot of its own (the validator stays off after it):
    the validator must say once, inside that test, that it is off from there
    on, report nothing, and the boot must carry on to its end (a defined
    exit, no hang). Each was seen failing with its turn_off() removed."""
    result = boot(cmdline=f"test=lockdep_capacity.{name}")
    run = parse_ktap(result.lines)
    assert run.complete and set(run.results) == {f"lockdep_capacity.{name}"}, result.reason
    assert run.results[f"lockdep_capacity.{name}"].ok, run.results[f"lockdep_capacity.{name}"].diagnostics
    assert result.outcome is Outcome.PASSED, result.reason
    line = CAPACITY_TESTS[name]
    assert result.lines.count(line) == 1, result.lines_with("[LOCKDEP]")
    assert [other for other in result.lines_with("[LOCKDEP]") if other.endswith("off from here on")] == [line]
    # Inside the test: after its suite's header, before its result.
    at = result.lines.index(line)
    assert result.lines.index("    # Subtest: lockdep_capacity") < at < result.lines.index(f"    ok 1 {name}")
    assert not result.lines_with("[LOCKDEP] possible") and not result.lines_with("[LOCKDEP] recursive")
