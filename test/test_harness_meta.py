"""The harness, proved on a kernel that misbehaves on purpose (the impostor,
test/direct_boot/impostor_kernel.asm): every way a boot can go wrong is
classified as what it is, pytest fails each with the report that shows
why, and a test plan cut short never passes. Only a real pass passes."""

import subprocess
import sys
from pathlib import Path

import pytest

from harness import ktap
from harness.impostor import impostor_timeout
from harness.kernel_test_run import KernelTestRun
from harness.kernel_tests import KernelTest
from harness.outcome import Outcome
from harness_meta.believes_every_boot_passes import SCRIPTS

TEST_DIR = Path(__file__).resolve().parent

EXPECTED = {
    "control_a_real_pass": Outcome.PASSED,
    "panic": Outcome.PANIC,
    "triple_fault": Outcome.TRIPLE_FAULT,
    "hang": Outcome.TIMEOUT,
    "wrong_exit_code": Outcome.WRONG_EXIT,
    "success_exit_without_ready": Outcome.WRONG_EXIT,
    "ready_then_triple_fault": Outcome.TRIPLE_FAULT,
    "ready_then_reset": Outcome.RESET,
    "ready_then_panic_and_success_exit": Outcome.WRONG_EXIT,
}


def boot_impostor(boot, binaries, script):
    return boot(direct_kernel=binaries["impostor_kernel"], append=script, timeout=impostor_timeout(script))


def test_every_script_has_an_expected_outcome():
    assert set(EXPECTED) == set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_harness_classifies_each_misbehaviour(boot, direct_boot_binaries, name):
    result = boot_impostor(boot, direct_boot_binaries, SCRIPTS[name])
    assert result.outcome is EXPECTED[name], result.reason


@pytest.mark.slow
def test_pytest_fails_every_broken_boot_and_shows_the_report(build_dir):
    command = [sys.executable, "-m", "pytest", str(TEST_DIR / "harness_meta" / "believes_every_boot_passes.py"),
               "-v", "-p", "no:cacheprovider", "-p", "no:xdist", f"--build-dir={build_dir}"]
    # Each boot may take its whole timeout twice (a reset or triple fault is
    # rerun under -d int,cpu_reset), plus a minute for pytest itself.
    limit = 60 + sum(2 * impostor_timeout(script) for script in SCRIPTS.values())
    done = subprocess.run(command, capture_output=True, text=True, timeout=limit, cwd=TEST_DIR)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output  # pytest: some tests failed
    assert "test_boot_passes[control_a_real_pass] PASSED" in output
    for name in SCRIPTS:
        if name != "control_a_real_pass":
            assert f"test_boot_passes[{name}] FAILED" in output, name
    assert f"{len(SCRIPTS) - 1} failed, 1 passed" in output
    # Each failure carries the boot's report: outcome, exit status, serial
    # log and QEMU's own log, so nobody has to rerun it.
    assert output.count("--- serial log ---") == len(SCRIPTS) - 1
    assert output.count("--- QEMU log (last") == len(SCRIPTS) - 1
    assert "outcome: triple fault" in output and "Triple fault" in output
    assert "outcome: timeout (QEMU was still running at the timeout)" in output
    assert "QEMU exit status: 37" in output
    assert "[PANIC] impostor panic (src/impostor.cpp:1)" in output


def kernel_tests(suite, *names):
    return [KernelTest(suite, name, "src/impostor.cpp", line, False, 1000) for line, name in enumerate(names, 1)]


def verdict(run, test):
    """What pytest would report for one kernel-test item: ("passed", ""),
    ("failed", message) or ("skipped", message)."""
    try:
        run.check(test)
    except pytest.fail.Exception as failure:
        return "failed", str(failure)
    except pytest.skip.Exception as skip:
        return "skipped", str(skip)
    return "passed", ""


def suite_lines(suite, *results, closed=True):
    """One suite's KTAP block: results are (name, ok) pairs."""
    lines = ["    KTAP version 1", f"    # Subtest: {suite}", f"    1..{len(results)}"]
    lines += [f"    {'ok' if ok else 'not ok'} {number} {name}" for number, (name, ok) in enumerate(results, 1)]
    if closed:
        lines.append(f"{'ok' if all(ok for _, ok in results) else 'not ok'} 1 {suite}")
    return lines


READY = ["[BOOT] RayOS ready", "KTAP version 1", "1..1"]
BOTH_OK = (READY + suite_lines("demo", ("first", True), ("second", True))
           + ["# kernel tests: 2 passed, 0 failed, 0 timed out"])
SECOND_FAILS = (READY + suite_lines("demo", ("first", True), ("second", False))
                + ["# kernel tests: 1 passed, 1 failed, 0 timed out"])
PANIC_LINE = "[PANIC] impostor panic (src/impostor.cpp:3)"

# The kernel's test run ends in the success exit when every test passed, in
# the failure exit without a [PANIC] line when some failed (src/kernel/main.cpp).
# Any other ending, or KTAP whose plans are not all fulfilled, leaves no ok
# result to trust. Scenario: (impostor script, verdict for demo.first, for demo.second).
RUN_SCENARIOS = {
    "control_every_test_ok_and_success_exit": ("#exit=10#", BOTH_OK, "passed", "passed"),
    # Sound, but not a success: an ok passes only when the whole run passed.
    "a_failure_and_the_failure_exit": ("#exit=11#", SECOND_FAILS, "failed", "failed"),
    "every_test_ok_then_panic": ("#exit=11#", BOTH_OK + [PANIC_LINE], "failed", "failed"),
    "every_test_ok_then_hang": ("#hang#", BOTH_OK, "failed", "failed"),
    "every_test_ok_then_triple_fault": ("#triple#", BOTH_OK, "failed", "failed"),
    "every_test_ok_then_reset": ("#reset#", BOTH_OK, "failed", "failed"),
    "every_test_ok_then_the_failure_exit": ("#exit=11#", BOTH_OK, "failed", "failed"),
    "a_failure_then_the_success_exit": ("#exit=10#", SECOND_FAILS, "failed", "failed"),
    "a_failure_then_panic": ("#exit=11#", SECOND_FAILS + [PANIC_LINE], "failed", "failed"),
    "suite_left_open": ("#exit=10#", READY + suite_lines("demo", ("first", True), ("second", True), closed=False),
                        "failed", "failed"),
    "top_level_plan_not_complete": ("#exit=10#", ["[BOOT] RayOS ready", "KTAP version 1", "1..2"]
                                    + suite_lines("demo", ("first", True), ("second", True)), "failed", "failed"),
    "no_top_level_plan": ("#exit=10#", ["[BOOT] RayOS ready", "KTAP version 1"]
                          + suite_lines("demo", ("first", True), ("second", True)), "failed", "failed"),
}


@pytest.mark.parametrize("name", RUN_SCENARIOS)
def test_an_ok_result_passes_only_in_a_complete_run_that_ended_as_the_kernel_ends_it(boot, direct_boot_binaries,
                                                                                     name):
    action, lines, first_verdict, second_verdict = RUN_SCENARIOS[name]
    result = boot_impostor(boot, direct_boot_binaries, action + "|".join(lines))
    first, second = kernel_tests("demo", "first", "second")
    run = KernelTestRun(result, ktap.parse(result.lines), [first, second])
    verdicts = {test.name: verdict(run, test) for test in (first, second)}
    assert (verdicts["first"][0], verdicts["second"][0]) == (first_verdict, second_verdict), verdicts
    for test in (first, second):
        kind, message = verdicts[test.name]
        printed = run.run.results.get(test.id)
        if kind == "failed" and printed is not None and printed.ok:
            # An ok result that fails says why, with the whole boot report.
            assert f"kernel test {test.id} (src/impostor.cpp:{test.line}) printed ok, but" in message, message
            assert "--- serial log ---" in message and f"outcome: {result.outcome.value}" in message, message


def test_a_test_plan_cut_short_never_passes(boot, direct_boot_binaries):
    # Three tests planned, one reported, then a success exit: none passes,
    # the one reported ok included.
    ktap_lines = ["[BOOT] RayOS ready", "KTAP version 1", "1..1", "    KTAP version 1", "    # Subtest: demo",
                  "    1..3", "    ok 1 first"]
    result = boot_impostor(boot, direct_boot_binaries, "#exit=10#" + "|".join(ktap_lines))
    assert result.outcome is Outcome.PASSED, result.reason  # the boot itself looks fine
    first, second, third = kernel_tests("demo", "first", "second", "third")
    run = KernelTestRun(result, ktap.parse(result.lines), [first, second, third])
    assert not run.run.complete
    with pytest.raises(pytest.fail.Exception, match="printed ok, but"):
        run.check(first)
    with pytest.raises(pytest.fail.Exception, match="was running when the kernel stopped"):
        run.check(second)
    with pytest.raises(pytest.fail.Exception, match="has no result, though the run ended normally"):
        run.check(third)


def test_a_crash_in_the_middle_of_a_plan_fails_the_running_test_and_every_ok_one(boot, direct_boot_binaries):
    ktap_lines = ["[BOOT] RayOS ready", "KTAP version 1", "1..2", "    KTAP version 1", "    # Subtest: demo",
                  "    1..2", "    ok 1 first"]
    result = boot_impostor(boot, direct_boot_binaries, "#triple#" + "|".join(ktap_lines))
    assert result.outcome is Outcome.TRIPLE_FAULT, result.reason
    first, second = kernel_tests("demo", "first", "second")
    (later,) = kernel_tests("later", "never_reached")
    run = KernelTestRun(result, ktap.parse(result.lines), [first, second, later])
    assert verdict(run, first)[0] == "failed"
    with pytest.raises(pytest.fail.Exception, match="was running when the kernel stopped: triple fault"):
        run.check(second)
    # NOT RUN is a skip only because demo.second fails for the crash.
    kind, message = verdict(run, later)
    assert kind == "skipped" and "NOT RUN: the kernel stopped in demo.second" in message, message
