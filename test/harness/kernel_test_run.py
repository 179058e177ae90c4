"""One boot that runs the selected kernel tests, and each test's verdict
from its KTAP (test/test_kernel.py makes each kernel test a pytest item)."""

from dataclasses import dataclass

import pytest

from harness import ktap
from harness.outcome import Outcome

# The whole selection runs in one boot; each test has its own watchdog in
# the kernel, so this only guards against a kernel that stops answering.
RUN_TIMEOUT_SECONDS = 300
# CPUs of the boot that runs the kernel tests (test_kernel.py): the tests
# that prove the locks and allocators under contention need several.
KERNEL_TEST_CPUS = 4


def selection_word(selected, every_default):
    """The command-line word that runs exactly `selected` (KernelTests)."""
    if {test.id for test in selected} == {test.id for test in every_default} and not any(
            test.explicit for test in selected):
        return "test"
    return "test=" + ",".join(test.id for test in selected)


def skip_reason(result):
    """The reason of a KTAP `ok N name # SKIP reason` (KSKIP in the kernel),
    or None for a test that ran."""
    directive = result.directive
    if directive.upper() == "SKIP" or directive[:5].upper() == "SKIP ":
        return directive[5:].strip() or "(no reason given)"
    return None


@dataclass
class KernelTestRun:
    boot: object  # BootResult
    run: ktap.KtapRun
    planned: list  # KernelTests, in the kernel's order

    def crashed_in(self):
        """The test that was running when the output stopped, if any."""
        finished = set(self.run.results)
        for test in self.planned:
            if test.id not in finished:
                return test
        return None

    def broken_run(self):
        """Why the run as a whole cannot vouch for an ok result, or None.
        The kernel's test run ends in the success exit when every test
        passed and in the failure exit, without a [PANIC] line, when some
        failed (src/kernel/main.cpp); anything else, or KTAP with a plan
        left unfulfilled, means the kernel did not finish as it says."""
        if not self.run.complete:
            return "the KTAP output is incomplete: " + "; ".join(self.run.missing)
        expected = Outcome.PASSED if self.run.all_ok else Outcome.FAILURE_EXIT
        if self.boot.outcome is not expected:
            which = "every test ok" if self.run.all_ok else "a test not ok"
            return (f"the boot ended in {self.boot.outcome.value} ({self.boot.reason}), where a run with {which} "
                    f"ends in {expected.value}")
        return None

    def check(self, test):
        """Passes, fails or reports not-run for one kernel test. An ok result
        passes only in a complete run that ended as the kernel ends one."""
        result = self.run.results.get(test.id)
        where = f"{test.file}:{test.line}"
        if self.run.errors:
            pytest.fail("the kernel's KTAP is malformed:\n" + "\n".join(self.run.errors) + "\n\n"
                        + self.boot.report(), pytrace=False)
        broken = self.broken_run()
        if broken is None and self.boot.outcome is not Outcome.PASSED:
            # A sound run with failures: the kernel ended it as it should,
            # but an ok in it passes only when the whole run succeeded.
            failed = [name for name, other in self.run.results.items() if not other.ok]
            broken = (f"the run did not end in the success exit: {len(failed)} other kernel tests failed "
                      f"({', '.join(failed)})")
        if result is not None:
            if result.ok and broken is None:
                if skip_reason(result) is not None:
                    pytest.skip(f"kernel test {test.id} skipped: {skip_reason(result)}")
                return
            if result.ok:
                pytest.fail(f"kernel test {test.id} ({where}) printed ok, but {broken}\n\n{self.boot.report()}",
                            pytrace=False)
            pytest.fail(f"kernel test {test.id} ({where}) failed:\n"
                        + "\n".join(result.diagnostics or ["(no diagnostics)"])
                        + (f"\n\nand {broken}\n\n{self.boot.report()}" if broken else ""), pytrace=False)
        running = self.crashed_in()
        if running == test:
            pytest.fail(f"kernel test {test.id} ({where}) was running when the kernel stopped: "
                        f"{self.boot.outcome.value} ({self.boot.reason})\n\n{self.boot.report()}",
                        pytrace=False)
        if self.boot.outcome is not Outcome.PASSED and self.boot.outcome is not Outcome.FAILURE_EXIT:
            # A skip, not a failure: the running test (running is not None,
            # since this test has no result) fails for the crash.
            pytest.skip(f"NOT RUN: the kernel stopped in {running.id} ({self.boot.outcome.value}) "
                        f"before reaching {test.id}")
        pytest.fail(f"kernel test {test.id} ({where}) has no result, though the run ended normally\n\n"
                    + self.boot.report(), pytrace=False)
