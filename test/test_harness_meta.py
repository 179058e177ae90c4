"""The harness, proved on a kernel that misbehaves on purpose (the impostor,
test/direct_boot/impostor_kernel.asm): every way a boot can go wrong is
classified as what it is, pytest fails each with the report that shows
why, and a test plan cut short never passes. Only a real pass passes."""

import subprocess
import sys
from pathlib import Path

import pytest

from harness import ktap
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


def boot_impostor(boot, binaries, script, timeout=3):
    return boot(direct_kernel=binaries["impostor_kernel"], append=script, timeout=timeout)


def test_every_script_has_an_expected_outcome():
    assert set(EXPECTED) == set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_harness_classifies_each_misbehaviour(boot, direct_boot_binaries, name):
    result = boot_impostor(boot, direct_boot_binaries, SCRIPTS[name])
    assert result.outcome is EXPECTED[name], result.reason


def test_pytest_fails_every_broken_boot_and_shows_the_report(build_dir):
    command = [sys.executable, "-m", "pytest", str(TEST_DIR / "harness_meta" / "believes_every_boot_passes.py"),
               "-v", "-p", "no:cacheprovider", "-p", "no:xdist", f"--build-dir={build_dir}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=TEST_DIR)
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


def test_a_test_plan_cut_short_never_passes(boot, direct_boot_binaries):
    # Three tests planned, one reported, then a success exit: the missing two fail.
    ktap_lines = ["[BOOT] RayOS ready", "KTAP version 1", "1..1", "    KTAP version 1", "    # Subtest: demo",
                  "    1..3", "    ok 1 first"]
    result = boot_impostor(boot, direct_boot_binaries, "#exit=10#" + "|".join(ktap_lines))
    assert result.outcome is Outcome.PASSED, result.reason  # the boot itself looks fine
    first, second, third = kernel_tests("demo", "first", "second", "third")
    run = KernelTestRun(result, ktap.parse(result.lines), [first, second, third])
    assert not run.run.complete
    run.check(first)
    with pytest.raises(pytest.fail.Exception, match="was running when the kernel stopped"):
        run.check(second)
    with pytest.raises(pytest.fail.Exception, match="has no result, though the run ended normally"):
        run.check(third)


def test_a_crash_in_the_middle_of_a_plan_fails_the_running_test(boot, direct_boot_binaries):
    ktap_lines = ["[BOOT] RayOS ready", "KTAP version 1", "1..1", "    KTAP version 1", "    # Subtest: demo",
                  "    1..2", "    ok 1 first"]
    result = boot_impostor(boot, direct_boot_binaries, "#triple#" + "|".join(ktap_lines))
    assert result.outcome is Outcome.TRIPLE_FAULT, result.reason
    first, second = kernel_tests("demo", "first", "second")
    run = KernelTestRun(result, ktap.parse(result.lines), [first, second])
    run.check(first)
    with pytest.raises(pytest.fail.Exception, match="was running when the kernel stopped: triple fault"):
        run.check(second)
