"""The heap benchmark's equal terms (test/host/heap_benchmark.cpp, run by
ci/benchmark.py): every trace of every allocator runs in a process of its
own, runs that share a process or a wrong regime are refused, and the page
regime holds for RayOS's host backing and glibc alike. What stays resident
after the 4096-byte trace frees everything is read by Linux from the page
tables; the expectation comes from the trace's own size."""

import os
import subprocess
from pathlib import Path

import benchmark  # ci/benchmark.py (pytest.ini puts ci/ on the path)
import pytest

REPO = Path(__file__).resolve().parent.parent

# One worker builds and runs the benchmark: ninja takes one build at a time.
# Building the benchmark takes its first test over 15 s.
pytestmark = [pytest.mark.xdist_group("heap_benchmark"), pytest.mark.slow]

FIXED_4096 = "^fixed/.*/4096$"
FIXED_4096_BYTES = 10000 * 4096  # the trace: 10000 blocks of 4096 bytes, then all freed
ALLOCATORS = ("rayos", "malloc")  # malloc: glibc's, in this build


@pytest.fixture(scope="module")
def binary(request):
    build = Path(request.config.getoption("--build-dir")).resolve()
    subprocess.run(["meson", "compile", "-C", str(build), "heap_benchmark"], check=True, capture_output=True)
    return build / "test/host/heap_benchmark"


@pytest.fixture(scope="module")
def runs(binary, tmp_path_factory):
    folder = tmp_path_factory.mktemp("heap-benchmark")
    return {regime: benchmark.heap_runs(binary, regime, folder, ALLOCATORS, min_time=0.01, repetitions=1,
                                        pattern=FIXED_4096)
            for regime in benchmark.HEAP_REGIMES}


def entry_of(regime_runs, allocator):
    return next(entry for _, entry in regime_runs if entry["run_name"].split("/")[1] == allocator)


def test_each_trace_runs_in_a_process_of_its_own(runs):
    for regime, regime_runs in runs.items():
        assert sorted(entry["run_name"] for _, entry in regime_runs) == ["fixed/malloc/4096", "fixed/rayos/4096"]
        assert benchmark.check_equal_terms(regime_runs, regime)
        pids = {entry["pid"] for _, entry in regime_runs}
        assert len(pids) == len(regime_runs) and os.getpid() not in pids
        assert all(entry["traces_before"] == 0 for _, entry in regime_runs)


def test_traces_sharing_a_process_are_refused(binary, tmp_path):
    context, entries = benchmark.run_heap_process(binary, "retain", FIXED_4096, tmp_path / "shared.json", 0.01, 1)
    assert len(entries) == 2
    with pytest.raises(benchmark.UnequalTerms, match="other traces"):
        benchmark.check_equal_terms([(context, entry) for entry in entries], "retain")
    # The first of them is the process's own and keeps its memory figures.
    assert "held_peak" in entries[0] and "held_peak" not in entries[1]


def test_a_run_under_another_regime_is_refused(runs):
    with pytest.raises(benchmark.UnequalTerms, match="regime 'return'"):
        benchmark.check_equal_terms(runs["retain"] + runs["return"], "retain")


def test_the_benchmark_refuses_to_run_without_a_regime(binary):
    for arguments in ([], ["--regime=sometimes"]):
        result = subprocess.run([str(binary), *arguments, "--benchmark_list_tests"], capture_output=True, text=True)
        assert result.returncode == 2
        assert "usage: heap_benchmark --regime=retain|return" in result.stderr


@pytest.mark.parametrize("allocator", ALLOCATORS)
def test_retain_keeps_the_pages_resident(runs, allocator):
    left = entry_of(runs["retain"], allocator)["held_after_free_kib"] * 1024
    assert left >= 0.9 * FIXED_4096_BYTES, f"{allocator} gave back pages under retain: {left:.0f} bytes left"


@pytest.mark.parametrize("allocator", ALLOCATORS)
def test_return_gives_the_pages_back(runs, allocator):
    # RayOS keeps 2 MiB free and releases in 1 MiB batches; glibc keeps its
    # 128 KiB trim threshold.
    left = entry_of(runs["return"], allocator)["held_after_free_kib"] * 1024
    assert left <= 4 << 20, f"{allocator} kept {left:.0f} bytes resident under return"


@pytest.mark.parametrize("regime", list(benchmark.HEAP_REGIMES))
def test_peak_holds_at_least_what_is_in_use(runs, regime):
    # Resident memory can not be less than the bytes the trace has live.
    for allocator in ALLOCATORS:
        assert entry_of(runs[regime], allocator)["held_peak"] >= 1.0
