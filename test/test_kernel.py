"""Every kernel test (KTEST in src/) as a pytest item of its own: one boot
runs all that are selected (`test` or `test=<ids>` on the command line),
the KTAP it prints is parsed, and each item reports its own result, its
failure text (check, expressions, values, file:line), or, when the kernel
crashed, the crash report for the test that was running and NOT RUN for
the ones after it."""

import pytest

pytestmark = pytest.mark.xdist_group("kernel-tests")


def test_kernel(kernel_test, kernel_test_run):
    if kernel_test is None:
        pytest.fail("build/rayos.elf is missing: build first (bash ci/test.sh does)", pytrace=False)
    kernel_test_run.check(kernel_test)
