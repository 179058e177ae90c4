"""The benchmark's smp part (ci/benchmark.py): bring-up figures only from
boots where every CPU came online, and the figures the cross-CPU call and
heap torture kernel tests print read from their KTAP diagnostics. The KTAP
here is written by the test in the runner's format (src/ktest/runner.cpp),
so the expected figures come from the test's own table."""

import time
from pathlib import Path

import benchmark  # ci/benchmark.py (pytest.ini puts ci/ on the path)
import pytest
from harness.socket_paths import short_socket_path

TSC_MHZ = 2000
PROFILE_LINE = f"[BOOT] boot profile: 25000 us from boot_entry to here, TSC {TSC_MHZ} MHz (against the PIT)"


def ktap_of(test_id, diagnostics, result="ok"):
    suite, name = test_id.split(".")
    return ["KTAP version 1", "1..1", "    KTAP version 1", f"    # Subtest: {suite}", "    1..1",
            *[f"    # {line}" for line in diagnostics], f"    {result} 1 {name}", f"ok 1 {suite}",
            "# kernel tests: 1 passed, 0 failed, 0 timed out, 0 skipped"]


@pytest.fixture(scope="module")
def build(request):
    return Path(request.config.getoption("--build-dir")).resolve()


def test_bring_up_is_read_from_boots_with_every_cpu_online(build):
    started = time.monotonic()
    figures = benchmark.smp_bring_up_figures(build, runs=1, counts=(1, 2))
    wall_ms = (time.monotonic() - started) * 1000
    assert list(figures) == [1, 2] and all(len(values) == 1 for values in figures.values())
    # Starting one AP takes time, and less than the host saw both boots take.
    assert 0 < figures[2][0] < wall_ms


def test_a_boot_with_a_cpu_left_out_is_refused(build, tmp_path):
    folder = tmp_path / "boot"
    _, lines = benchmark.timed_boot(build / "rayos.iso", "bios", benchmark.READY["rayos"], cmdline="noapic exit",
                                    smp=2, folder=folder)
    with pytest.raises(benchmark.NotEveryCpu, match="-smp 2"):
        benchmark.bring_up_of(lines, 2)
    # The boot's QMP socket sits in the temporary folder, outside the boot's
    # own: the benchmark's boots, hundreds a report, leave none behind.
    assert not short_socket_path(folder, "qmp").exists()


def test_heap_operations_per_second_add_up_over_the_busy_cpus():
    cycles = {0: 1000, 1: 4000}
    diagnostics = ["heap torture on 2 CPUs, 16 rounds of 512 operations each"] + [
        f"cpu {cpu}: seed 0x{cpu + 7:x}, 5000 allocations, 5000 frees, 0 refused, {per_op} cycles/operation"
        for cpu, per_op in cycles.items()]
    lines = [PROFILE_LINE, *ktap_of(benchmark.HEAP_TORTURE_TEST, diagnostics)]
    expected = sum(TSC_MHZ * 1e6 / per_op for per_op in cycles.values())
    assert benchmark.heap_operations_per_second(lines, 2) == pytest.approx(expected)
    # A CPU missing from the diagnostics, or a failed run, gives no figure.
    with pytest.raises(RuntimeError, match="with 4 CPUs"):
        benchmark.heap_operations_per_second(lines, 4)
    failed = [PROFILE_LINE, *ktap_of(benchmark.HEAP_TORTURE_TEST, diagnostics, result="not ok")]
    with pytest.raises(RuntimeError, match="not ok"):
        benchmark.heap_operations_per_second(failed, 2)


def test_the_ipi_round_trip_is_read_and_a_skip_is_refused():
    lines = ktap_of(benchmark.IPI_TEST, ["IPI round trip: 52345 cycles (20163 ns)"])
    assert benchmark.ipi_round_trip_of(lines) == 52345
    skipped = ktap_of(benchmark.IPI_TEST, ["IPI round trip: 52345 cycles (20163 ns)"])
    skipped[-3] += " # SKIP one CPU online: there is no other CPU to send an IPI to"
    with pytest.raises(RuntimeError, match="SKIP one CPU online"):
        benchmark.ipi_round_trip_of(skipped)


def test_a_kernel_test_missing_from_the_build_is_said_not_measured(build):
    figure = benchmark.kernel_test_figures(build, "no_such_suite.no_such_test", (1,), None, runs=1)
    assert figure == "not measured: this build has no kernel test no_such_suite.no_such_test"
