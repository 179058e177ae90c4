"""The kernel test framework proves itself on demonstration suites that
fail on purpose (src/ktest/demo_tests.cpp): pytest, run on them as a user
would, must show each failure's check, expressions and values, the
watchdog's timeout, and for a crash the running test failed with the
report and the rest NOT RUN, never passed."""

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from harness.elf import KernelElf
from harness.kernel_tests import read_kernel_tests

TEST_DIR = Path(__file__).resolve().parent
# The tests run pytest on kernel tests, which boots RayOS: 4-6 s apiece.
pytestmark = pytest.mark.slow


def elf_words(elf_path, symbol):
    """The 64-bit words of a data symbol, read from the ELF."""
    data = KernelElf(elf_path).symbol_bytes(symbol)
    return list(struct.unpack(f"<{len(data) // 8}Q", data))


def run_pytest(build_dir, suites, *extra):
    command = [sys.executable, "-m", "pytest", str(TEST_DIR / "test_kernel.py"), "-v", "-rA", "-p",
               "no:cacheprovider", f"--build-dir={build_dir}", f"--kernel-suites={suites}", *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=TEST_DIR)
    return done.returncode, done.stdout + done.stderr


def test_failures_show_expression_values_and_location_and_the_watchdog_reason(build_dir):
    status, output = run_pytest(build_dir, "demo_failures")
    assert status == 1, output  # pytest: some tests failed
    # Its ok vouches for nothing in a run that did not succeed (issue 12).
    assert "test_kernel[demo_failures.passes] FAILED" in output
    assert "printed ok, but the run did not end in the success exit:" in output
    assert "test_kernel[demo_failures.expect_eq_fails] FAILED" in output
    assert "KEXPECT_EQ(answer, 41u) failed at src/ktest/demo_tests.cpp:" in output
    assert "answer = 42" in output and "41u = 41" in output
    # A KASSERT leaves the test: its one failure and nothing after it.
    assert "KASSERT_LE(g_six, 5u) failed at src/ktest/demo_tests.cpp:" in output
    assert "KEXPECT_EQ(1, 2)" not in output
    assert "test_kernel[demo_failures.hangs] FAILED" in output
    assert "hangs: timed out after 300 ms; the watchdog stopped it" in output
    # The run went on after the hang: the test after it has its result.
    assert "test_kernel[demo_failures.runs_after_the_hang] FAILED" in output
    assert "kernel test demo_failures.runs_after_the_hang (src/ktest/demo_tests.cpp:" in output


def test_a_crash_fails_the_running_test_with_the_report_and_never_passes_the_rest(build_dir):
    status, output = run_pytest(build_dir, "demo_crash")
    assert status == 1, output
    # It printed ok, but a run that ends in a panic vouches for nothing.
    assert "test_kernel[demo_crash.passes_first] FAILED" in output
    assert "demo_crash.passes_first (src/ktest/demo_tests.cpp:" in output and "printed ok, but" in output
    assert "test_kernel[demo_crash.faults] FAILED" in output
    assert "demo_crash.faults (src/ktest/demo_tests.cpp:" in output and "was running when the kernel stopped" in output
    assert "[PANIC] unhandled #PF Page Fault in kernel mode" in output
    assert "test_kernel[demo_crash.never_runs] SKIPPED" in output
    assert "NOT RUN: the kernel stopped in demo_crash.faults" in output
    assert "never_runs PASSED" not in output
    assert "1 failed" not in output and "2 failed, 1 skipped" in output, output


def test_k_reaches_a_single_kernel_test(build_dir):
    status, output = run_pytest(build_dir, "demo_failures", "-k", "runs_after_the_hang")
    assert status == 0, output
    others = sum(test.suite == "demo_failures" for test in read_kernel_tests(build_dir / "rayos.elf")) - 1
    assert f"1 passed, {others} deselected" in output


def test_a_kernel_skip_is_a_pytest_skip_with_its_reason(build_dir):
    status, output = run_pytest(build_dir, "demo_failures", "-k", "skips_with_its_reason")
    assert status == 0, output
    assert "test_kernel[demo_failures.skips_with_its_reason] SKIPPED" in output
    assert "kernel test demo_failures.skips_with_its_reason skipped: shown skipped on purpose: 6 is not 7" in output
    assert "KEXPECT_EQ(1, 2)" not in output


def test_a_leaking_test_is_not_ok_with_what_it_leaked(build_dir):
    (frames,) = elf_words(build_dir / "rayos.elf", "ktest_demo_leaked_frames")
    sizes = elf_words(build_dir / "rayos.elf", "ktest_demo_leaked_block_sizes")
    status, output = run_pytest(build_dir, "demo_failures", "-k", "leaks and not owners or passes")
    assert status == 1, output
    assert "test_kernel[demo_failures.leaks] FAILED" in output
    assert f"leaked {frames} frames, {len(sizes)} blocks ({sum(sizes)} bytes)" in output
    # Only the leaking test: the one that passes around it keeps nothing
    # (it fails only because the run as a whole did not succeed).
    assert "test_kernel[demo_failures.passes] FAILED" in output
    assert "printed ok, but the run did not end in the success exit" in output
    leak_lines = {line.strip().lstrip("# ") for line in output.splitlines() if "leaked " in line and "frames" in line}
    assert len(leak_lines) == 1, leak_lines


def test_owners_give_back_what_a_test_held_when_a_kassert_leaves_it(build_dir):
    status, output = run_pytest(build_dir, "demo_failures", "-k", "assert_with_owners_leaks_nothing")
    assert status == 1, output
    assert "test_kernel[demo_failures.assert_with_owners_leaks_nothing] FAILED" in output
    assert "KASSERT_EQ(g_six, 7u) failed at src/ktest/demo_tests.cpp:" in output
    assert "leaked" not in output, output


def test_a_selection_that_matches_nothing_fails_the_boot(boot):
    result = boot(cmdline="test=no_such_suite")
    assert result.exit_status == 35, result.reason
    assert "[BOOT] warning: test='no_such_suite' selects no kernel test" in result.lines
    assert "1..0" in result.lines


@pytest.mark.parametrize("suite, state", [
    ("demo_starved", "runnable but starved"),
    ("demo_blocked", "blocked (waiting for a thread that never ends?)"),
])
def test_a_runner_the_watchdog_cannot_send_back_ends_the_boot_at_twice_the_timeout(build_dir, suite, state):
    (test,) = [test for test in read_kernel_tests(build_dir / "rayos.elf") if test.suite == suite]
    status, output = run_pytest(build_dir, suite)
    assert status == 1, output
    assert f"test_kernel[{suite}.{test.name}] FAILED" in output
    assert (f"[PANIC] kernel test {suite}.{test.name} not back at twice its timeout; its runner thread is "
            f"{state}") in output, output
