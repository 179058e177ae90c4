"""CPU bring-up: identity, features, and the protections turned on."""

import re

import pytest

from harness import ktap
from harness.kernel_test_run import KERNEL_TEST_CPUS, skip_reason
from harness.kernel_tests import read_kernel_tests
from harness.outcome import Outcome
from harness.qemu_tlb import (DEVICE_WINDOW_BASE, DEVICE_WINDOW_END, FRAMEBUFFER_WINDOW_BASE, FRAMEBUFFER_WINDOW_END,
                              PAGE, in_range, section_bounds, tlb_once_ready)

PROTECTIONS = {"NX": "nx", "SMEP": "smep", "SMAP": "smap", "UMIP": "umip"}


def features_of(result):
    (line,) = result.lines_with("[CPU] features:")
    return dict(re.findall(r"(\w+)=(yes|no)", line))


def protections_of(result):
    return dict(re.findall(r"^\[CPU\]   (\w+) (on|off \(not supported\)|OFF.*)$", "\n".join(result.lines), re.M))


@pytest.mark.parametrize("cpu", [None, "max"])
def test_each_protection_is_on_exactly_where_the_cpu_offers_it(boot, cpu):
    result = boot(cpu=cpu)
    assert result.outcome is Outcome.PASSED, result.reason
    assert re.match(r'\[CPU\] vendor \w{12}, brand "\S.*"', result.lines_with("[CPU] vendor")[0])
    features = features_of(result)
    protections = protections_of(result)
    assert protections["WP"] == "on"
    for name, feature in PROTECTIONS.items():
        expected = "on" if features[feature] == "yes" else "off (not supported)"
        assert protections[name] == expected, name


def test_cpu_max_offers_and_gets_every_protection(boot):
    result = boot(cpu="max")
    assert result.outcome is Outcome.PASSED, result.reason
    assert set(protections_of(result).values()) == {"on"}


def test_default_cpu_reports_missing_protections_off_and_still_boots(boot):
    result = boot()
    assert result.outcome is Outcome.PASSED, result.reason
    protections = protections_of(result)
    assert protections["SMEP"] == "off (not supported)"
    assert protections["NX"] == "on"


# Without NX (EFER.NXE cannot be set) every mapped page is executable: the
# kernel says so once, claims NX nowhere, and skips the kernel tests whose
# subject is a page that cannot be executed.
NO_NX = "max,-nx"
NO_NX_WARNING = re.compile(r"^\[MEM\] warning: W\^X cannot be enforced: the CPU has no NX "
                           r"\((\d+) of the (\d+) pages mapped are writable and executable\)$")
NX_DEPENDENT_KERNEL_TESTS = {"paging.no_page_is_writable_and_executable", "paging.nothing_but_text_is_executable"}
HEAP_ADDRESSES = (0xFFFFC00000000000, 0xFFFFC20000000000)  # page descriptors and arena (src/mm/kernel_heap.h)


def boot_log(result):
    """The lines up to the ready line: what the boot itself claims."""
    return result.lines[:result.lines.index("[BOOT] RayOS ready")]


def test_without_nx_the_boot_warns_once_and_claims_no_nx(boot):
    result = boot(cpu=NO_NX)
    assert result.outcome is Outcome.PASSED, result.reason
    assert features_of(result)["nx"] == "no"
    lines = boot_log(result)
    warnings = [line for line in lines if NO_NX_WARNING.match(line)]
    assert len(warnings) == 1, "\n".join(lines)
    # NX is named only where the boot says it is missing.
    assert [line for line in lines if "NX" in line] == ["[CPU]   NX off (not supported)", warnings[0]]
    assert not any("W^X check:" in line for line in lines)
    assert any(re.match(r"^\[MEM\] kernel image mapped by section: text \d+ pages RX, rodata \d+ pages RX, "
                        r"data\+bss \d+ pages RWX$", line) for line in lines), "\n".join(lines)


# Every kernel test on 4 CPUs: beside the kernel-test boot (its xdist
# group), never at the same time. Two such boots at once keep both host
# cores busy for minutes, and the tests that time threads against the PM
# timer (sleep_ms, preemption) have less slack the busier the host.
@pytest.mark.slow
@pytest.mark.xdist_group("kernel-tests")
def test_without_nx_the_kernel_tests_pass_and_skip_those_that_need_nx(boot, kernel_elf):
    # As many CPUs as the kernel-test run has, so the tests that need a second CPU run too.
    result = boot(cpu=NO_NX, cmdline="test", smp=KERNEL_TEST_CPUS, timeout=300)
    run = ktap.parse(result.lines)
    not_ok = {name: r.diagnostics for name, r in run.results.items() if not r.ok}
    assert result.exit_status == 33, f"{result.reason}; kernel tests not ok: {not_ok}"
    assert run.complete and not run.errors, run.errors
    results = run.results
    expected = {test.id for test in read_kernel_tests(kernel_elf) if not test.explicit}
    assert set(results) == expected
    assert all(result.ok for result in results.values()), [name for name, r in results.items() if not r.ok]
    skipped = {name: skip_reason(r) for name, r in results.items() if skip_reason(r) is not None}
    assert set(skipped) == NX_DEPENDENT_KERNEL_TESTS
    for reason in skipped.values():
        assert "the CPU has no NX" in reason


# src/sched/thread_stack.h: the threads' stacks, 8192 slots of 32 KiB.
THREAD_STACKS = (0xFFFFC38000000000, 0xFFFFC38000000000 + 8192 * 32 * 1024)


def test_without_nx_qemu_sees_no_page_kept_from_execution(running_boot, kernel_elf):
    pages, result = tlb_once_ready(running_boot(cmdline="", cpu=NO_NX, qmp=True))
    assert pages and not any(page.no_execute for page in pages)
    # The warning's figures were taken before the heap, the APICs' registers,
    # the framebuffer and the idle thread's stack were mapped and before the RO_AFTER_INIT
    # pages were sealed read-only.
    writable_executable, mapped = (int(group) for group in
                                   next(filter(None, map(NO_NX_WARNING.match, result.lines))).groups())
    outside_heap = [page for page in pages if not HEAP_ADDRESSES[0] <= page.address < HEAP_ADDRESSES[1]
                    and not DEVICE_WINDOW_BASE <= page.address < DEVICE_WINDOW_END
                    and not FRAMEBUFFER_WINDOW_BASE <= page.address < FRAMEBUFFER_WINDOW_END
                    and not THREAD_STACKS[0] <= page.address < THREAD_STACKS[1]]
    sealed = in_range(pages, *section_bounds(kernel_elf, "ro_after_init"))
    assert mapped == sum(page.size for page in outside_heap) // PAGE
    assert writable_executable == sum(page.size for page in outside_heap if page.writable) // PAGE + len(sealed)
