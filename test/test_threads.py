"""Issue 14: the threads suite (src/sched/*_tests.cpp: fairness, preemption,
priorities, affinity, work stealing, sleep accuracy, 10,000 threads) under
-smp 1 and -smp 4, BIOS and UEFI. The kernel-test boot (test_kernel.py) runs
it under -smp 4 and BIOS; here each test must also say, in its diagnostics,
that it covered every CPU QEMU was given (the oracle: -smp here, not a
figure of the kernel's)."""

import re

import pytest

from harness import ktap
from harness.kernel_test_run import RUN_TIMEOUT_SECONDS
from harness.outcome import Outcome

# Beside the kernel-test boot's timer measurements, never at the same time.
pytestmark = pytest.mark.xdist_group("kernel-tests")

SUITE = "threads"
# Tests that print a line per CPU, "cpu N: ...", and must cover 0..smp-1.
PER_CPU_TESTS = ("busy_threads_on_each_cpu_get_equal_run_time",
                 "a_thread_that_never_yields_does_not_stop_others_on_its_cpu",
                 "a_high_priority_thread_runs_before_normal_ones")
CPU_LINE = re.compile(r"cpu (\d+): ")
ON_CPUS = {
    "busy_threads_on_each_cpu_get_equal_run_time": re.compile(r"3 busy threads on each of (\d+) CPUs"),
    "a_pinned_thread_only_ever_runs_on_its_cpu": re.compile(r"2 threads pinned on each of (\d+) CPUs"),
    "cpus_with_nothing_to_do_steal_queued_threads": re.compile(r"\d+ workers on (\d+) CPUs"),
    "ten_thousand_threads_spawned_and_joined_leave_nothing_behind": re.compile(r"10000 threads in batches of 64 "
                                                                               r"on (\d+) CPUs"),
}
ONE_CPU_STEALING = "one CPU: nothing to steal from"


@pytest.mark.slow
@pytest.mark.parametrize("firmware", ["bios", pytest.param("uefi", marks=pytest.mark.uefi)])
@pytest.mark.parametrize("cpus", [1, 4], ids=["smp1", "smp4"])
def test_threads_suite_on_every_cpu(boot, cpus, firmware):
    result = boot(cmdline=f"test={SUITE}", smp=cpus, firmware=firmware, timeout=RUN_TIMEOUT_SECONDS)
    run = ktap.parse(result.lines)
    assert not run.errors, "\n".join(run.errors) + "\n\n" + result.report()
    assert run.complete, "; ".join(run.missing) + "\n\n" + result.report()
    names = {test_id.split(".", 1)[1] for test_id in run.results if test_id.startswith(SUITE + ".")}
    assert names >= set(PER_CPU_TESTS) | set(ON_CPUS), f"tests run: {sorted(names)}\n\n{result.report()}"
    for test_id, test in run.results.items():
        text = "\n".join(test.diagnostics)
        assert test.ok and not ktap_skipped(test), f"{test_id} failed or skipped:\n{text}\n\n{result.report()}"
        name = test_id.split(".", 1)[1]
        if name in PER_CPU_TESTS:
            per_cpu = sorted({int(match.group(1)) for match in map(CPU_LINE.match, test.diagnostics) if match})
            assert per_cpu == list(range(cpus)), f"{test_id} reports CPUs {per_cpu}, not 0..{cpus - 1}:\n{text}"
        if name in ON_CPUS:
            counts = [int(match.group(1)) for match in map(ON_CPUS[name].match, test.diagnostics) if match]
            assert counts == [cpus], f"{test_id} does not say it ran on {cpus} CPUs:\n{text}"
        if name == "cpus_with_nothing_to_do_steal_queued_threads":
            assert (ONE_CPU_STEALING in text) == (cpus == 1), text
    assert result.outcome is Outcome.PASSED, result.report()


def ktap_skipped(test):
    return test.directive.upper().startswith("SKIP")
