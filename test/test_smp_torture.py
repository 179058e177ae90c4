"""Issue 13: the torture tests (heap, frames, spinlock) run on every CPU at
once. The kernel-test boot (test_kernel.py) runs them under -smp 4; this
file boots them on their own under -smp 1, where they must reduce to their
one-CPU form, and under -smp 4, and checks from each test's KTAP that it
ran on as many CPUs as QEMU was given (the oracle: -smp here, not a figure
of the kernel's), that every CPU took its share, and that it passed.

`bash ci/stress.sh --torture` runs the -smp 4 case again and again (20 in a row)."""

import re

import pytest

from harness import ktap
from harness.kernel_test_run import RUN_TIMEOUT_SECONDS
from harness.outcome import Outcome

# Beside the kernel-test boot's timer measurements, never at the same time.
pytestmark = pytest.mark.xdist_group("kernel-tests")
TORTURE_SUITES = ("heap_torture", "frame_torture", "lock_torture")
ON_CPUS = re.compile(r"\w+ torture on (\d+) CPUs")
CPU_LINE = re.compile(r"cpu (\d+): ")


@pytest.mark.slow
@pytest.mark.parametrize("cpus", [1, 4], ids=["smp1", "smp4"])
def test_torture_suites_run_on_every_cpu(boot, cpus):
    selection = ",".join(TORTURE_SUITES)
    result = boot(cmdline=f"test={selection}", smp=cpus, timeout=RUN_TIMEOUT_SECONDS)
    run = ktap.parse(result.lines)
    assert not run.errors, "\n".join(run.errors) + "\n\n" + result.report()
    assert run.complete, "; ".join(run.missing) + "\n\n" + result.report()
    suites = {test_id.split(".")[0] for test_id in run.results}
    assert suites == set(TORTURE_SUITES), f"suites run: {sorted(suites)}\n\n{result.report()}"
    for test_id, test in run.results.items():
        text = "\n".join(test.diagnostics)
        assert test.ok, f"{test_id} failed:\n{text}\n\n{result.report()}"
        counts = [int(match.group(1)) for match in map(ON_CPUS.match, test.diagnostics) if match]
        assert counts == [cpus], f"{test_id} does not say it ran on {cpus} CPUs:\n{text}"
        per_cpu = sorted({int(match.group(1)) for match in map(CPU_LINE.match, test.diagnostics) if match})
        assert per_cpu == list(range(cpus)), f"{test_id} reports CPUs {per_cpu}, not 0..{cpus - 1}:\n{text}"
    assert result.outcome is Outcome.PASSED, result.report()
