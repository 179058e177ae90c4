"""The benchmark's threads part (ci/benchmark.py): the [BENCH] lines the
kernel prints under `bench`, read generically (any figure of the part, a
mutex helper's too), from a real boot with two CPUs; a variant's kernel word
that the kernel does not know is refused, as the kernel's own warning says."""

from pathlib import Path

import benchmark  # ci/benchmark.py (pytest.ini puts ci/ on the path)
import pytest

THREAD_FIGURES = {"context_switch_same_cpu", "spawn_join", "wake_up_cross_cpu_median", "wake_up_cross_cpu_max",
                  "sleep_1ms_overshoot_median", "sleep_1ms_overshoot_max"}


@pytest.fixture(scope="module")
def build(request):
    return Path(request.config.getoption("--build-dir")).resolve()


def test_bench_lines_are_read_by_part_whatever_their_name():
    lines = ["[BOOT] RayOS ready",
             "[BENCH] threads context_switch_same_cpu 4100 cycles (per switch: 2 threads pinned to CPU 0)",
             "[BENCH] heap something 12 cycles",
             "[BENCH] threads mutex_uncontended 380 cycles",
             "[BENCH] threads broken cycles (no value)",
             "[BOOT] bench: kalloc+kfree 16 bytes: 300 cycles per pair (115 ns)"]
    assert benchmark.bench_figures(lines, "threads") == {
        "context_switch_same_cpu": (4100, "cycles", "per switch: 2 threads pinned to CPU 0"),
        "mutex_uncontended": (380, "cycles", "")}


@pytest.mark.slow
def test_a_bench_boot_gives_every_thread_figure(build, capsys):
    figures = benchmark.threads_figures(build, runs=1)
    assert list(figures) == ["", "lockdep=off"]
    assert THREAD_FIGURES <= set(figures["lockdep=off"]["values"]), figures["lockdep=off"]
    values = {name: runs[0] for name, runs in figures[""]["values"].items()}
    assert THREAD_FIGURES <= set(values), values
    assert all(figures[""]["units"][name] == "cycles" for name in THREAD_FIGURES)
    assert all(values[name] > 0 for name in ("context_switch_same_cpu", "spawn_join", "wake_up_cross_cpu_max"))
    for figure in ("wake_up_cross_cpu", "sleep_1ms_overshoot"):
        assert values[f"{figure}_median"] <= values[f"{figure}_max"], values
    benchmark.print_threads_figures(figures)
    report = capsys.readouterr().out
    for name in THREAD_FIGURES:
        off = figures["lockdep=off"]["values"][name][0]
        assert f"| {name} | {values[name]:,} ({values[name]:,}) | {off:,} ({off:,}) | cycles |" in report, report


@pytest.mark.slow
def test_a_variant_word_the_kernel_does_not_know_is_refused(build):
    with pytest.raises(benchmark.UnknownBootWord, match="does not know no_such_bench_word"):
        benchmark.threads_figures(build, runs=1, variants=("no_such_bench_word=off",))
