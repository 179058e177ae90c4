#!/usr/bin/python3
"""Every RayOS benchmark in one run, printed as Markdown (ci/benchmark.sh
builds what it needs first). Figures, never a pass or a fail (it stops only
when the heap figures were not taken on equal terms). --parts picks some.

  boot      RayOS against the boot floor (a Multiboot2 kernel that writes one
            line and exits) in two GRUB set-ups, RayOS's own and a plain one,
            alternating, BIOS and UEFI
  profile   the kernel's own [BOOT] phase lines, as a table and a PNG chart
  kernel    TSC cycles per kalloc+kfree pair inside the kernel (`bench`)
  heap      the heap allocator natively against glibc malloc and jemalloc, on
            equal terms: each trace in a process of its own, two page
            regimes applied to all three, memory held as resident memory
  smp       every CPU at work: AP bring-up per CPU (-smp 1, 2, 4, 8, from the
            [SMP] line), heap operations per second with 1, 2 and 4 CPUs
            busy (the heap torture test) and the IPI round trip (the
            cross-CPU call test), the last two from their KTAP diagnostics
  threads   the scheduler inside the kernel (`bench`, -smp 2): every
            "[BENCH] threads <name> <value> <unit> (<how>)" line (context
            switch, spawn+join, wake-up from another CPU, sleep overshoot, and
            whatever else prints under the part, mutex figures too), the
            median over --threads-runs boots; --threads-variant WORDS adds a
            column booted with those kernel words as well
  pipeline  clean build, one-file rebuild, test suite, ELF and ISO sizes
"""

import argparse
import contextlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "test"))

from harness import ktap  # noqa: E402
from harness.cpus import SMP_LINE  # noqa: E402
from harness.huge_pages import popen_without_huge_pages  # noqa: E402
from harness.kernel_tests import read_kernel_tests  # noqa: E402
from harness.qemu import BootConfig, boot, make_config_disk, qemu_command, release_outside_files  # noqa: E402

READY = {"rayos": "[BOOT] RayOS ready", "floor": "[BOOT] floor ready", "floor-plain": "[BOOT] floor ready"}
# The boot floor's two ISOs (test/bench/meson.build) and the GRUB set-up of
# each: against the first RayOS's figure is the kernel's cost (its larger
# image, the framebuffer's mode, its own boot); against the second, also what
# RayOS's grub.cfg does that a plain one does not (GRUB's terminal on COM1,
# the command-line disk, the modules for them and for the video driver).
FLOORS = {"floor": ("test/bench/floor.iso", "RayOS's"), "floor-plain": ("test/bench/floor-plain.iso", "plain")}
# RayOS's figures are the release kernel's (meson.build: the two kernels),
# except those the kernel tests print, which only the test kernel has.
RELEASE_ISO = "rayos-release.iso"
PHASE = re.compile(r"^\[BOOT\] phase (.+): (\d+) us$")
PROFILE = re.compile(r"^\[BOOT\] boot profile: (\d+) us from boot_entry to here, TSC (\d+) MHz")
# "[BENCH] <part> <name> <value> <unit> (<how>)": a figure the kernel
# measured (src/kernel/log.h, LogTag::Bench).
BENCH_LINE = re.compile(r"^\[BENCH\] (\S+) (\S+) (\d+) (\S+)(?: \((.*)\))?$")
UNKNOWN_WORD = re.compile(r"^\[BOOT\] warning: unknown option '([^']+)'")
KERNEL_BENCH = re.compile(r"^\[BOOT\] bench: kalloc\+kfree (\d+) bytes: (\d+) cycles per pair \((\d+) ns\)$")


def serial_text(path):
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def start_timed_qemu(command):
    """QEMU for a boot timed by the wall clock, its output discarded, without
    transparent huge pages (harness/huge_pages.py: the host's clearing of
    fresh 2 MiB regions made three of the kernel's phases bimodal)."""
    return popen_without_huge_pages(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)


def timed_boot(iso, firmware, marker, cmdline="exit", timeout=120, smp=1, folder=None):
    """Seconds from starting QEMU to the first serial line with marker, and
    the serial lines. The config disk is made before the clock starts. The
    boot's files go to folder, or to a temporary folder removed after."""
    with _boot_folder(folder) as workdir:
        config = BootConfig(cmdline=cmdline, firmware=firmware, timeout=timeout, smp=smp)
        command = qemu_command(config, iso, workdir, make_config_disk(workdir, config.cmdline, config.loader))
        serial = workdir / "serial.log"
        started = time.monotonic()
        process = start_timed_qemu(command)
        ready = None
        try:
            while time.monotonic() - started < timeout:
                if ready is None and marker in serial_text(serial):
                    ready = time.monotonic() - started
                if process.poll() is not None:
                    break
                time.sleep(0.001)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            release_outside_files(workdir)
        if ready is None and marker in serial_text(serial):
            ready = time.monotonic() - started  # seen only after exit: an upper bound
        if ready is None:
            raise RuntimeError(f"{iso.name} ({firmware}) never printed {marker!r}")
        return ready, serial_text(serial).splitlines()


@contextlib.contextmanager
def _boot_folder(folder):
    """The folder a timed boot keeps its files in: the caller's (kept after,
    for a look at the serial log) or a temporary one, removed after."""
    if folder is not None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        yield Path(folder)
        return
    with tempfile.TemporaryDirectory(prefix="rayos-bench-") as temporary:
        yield Path(temporary)


# Under -icount shift=0,sleep=off QEMU's virtual clock advances one
# nanosecond an instruction and the TSC follows it: the same figures on
# every run, whatever the host is doing.
DETERMINISTIC_CLOCK = ("-icount", "shift=0,sleep=off")
FLOOR_TSC = re.compile(r"^\[BOOT\] floor ready, TSC 0x([0-9a-f]{16})$")
READY_TSC = re.compile(r"^\[BOOT\] TSC at boot_entry (\d+), at the ready line (\d+)$")


def boot_isos(build):
    """{name: ISO} of the boot part's boots: each floor, then RayOS."""
    return {floor: build / path for floor, (path, _) in FLOORS.items()} | {"rayos": build / RELEASE_ISO}


def deterministic_boot_figures(build, firmware):
    """({floor: its TSC at its line} for each of FLOORS, RayOS's TSC at
    boot_entry, at its ready line), each boot under -icount; None for a
    figure a boot did not print."""
    figures = {}
    isos = boot_isos(build)
    for kernel, iso in isos.items():
        with tempfile.TemporaryDirectory(prefix="rayos-bench-") as folder:
            config = BootConfig(cmdline="exit", firmware=firmware, timeout=300, extra_args=DETERMINISTIC_CLOCK)
            result = boot(config, iso, folder)
        for line in result.lines:
            if (match := FLOOR_TSC.match(line)) and kernel in FLOORS:
                figures[kernel] = int(match.group(1), 16)
            if (match := READY_TSC.match(line)) and kernel == "rayos":
                figures["entry"], figures["ready"] = int(match.group(1)), int(match.group(2))
    return {floor: figures.get(floor) for floor in FLOORS}, figures.get("entry"), figures.get("ready")


# Memory sizes the kernel's boot must not grow with. QEMU reserves guest RAM
# up front, which a host with less memory refuses for 32 GiB; reserve=off
# (MAP_NORESERVE) lets it boot, and the guest touches only what it uses.
MEMORY_FLAT_SIZES = ("512M", "32G")


def memory_flat_figures(build):
    """{size: (kernel boot_entry to profile line in us, {phase: us})} from
    -icount boots, the same every run."""
    figures = {}
    for size in MEMORY_FLAT_SIZES:
        backend = ("-object", f"memory-backend-ram,id=flat-ram,size={size},reserve=off",
                   "-machine", "memory-backend=flat-ram")
        with tempfile.TemporaryDirectory(prefix="rayos-bench-") as folder:
            config = BootConfig(cmdline="exit", memory=size, timeout=300, extra_args=DETERMINISTIC_CLOCK + backend)
            result = boot(config, build / RELEASE_ISO, folder)
        phases = {match.group(1): int(match.group(2)) for line in result.lines if (match := PHASE.match(line))}
        totals = [int(match.group(1)) for line in result.lines if (match := PROFILE.match(line))]
        figures[size] = (totals[0] if totals else None, phases)
    return figures


def print_memory_flat_figures(figures):
    print("### Boot cost against memory size (-icount; the kernel's own boot, boot_entry to the profile line)\n")
    names = sorted({name for _, phases in figures.values() for name in phases},
                   key=lambda name: -max(phases.get(name, 0) for _, phases in figures.values()))[:4]
    print("| memory | kernel boot | " + " | ".join(names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    for size, (total, phases) in figures.items():
        cells = " | ".join(f"{phases[name] / 1000:.1f} ms" if name in phases else "-" for name in names)
        print(f"| {size} | {total / 1000:.1f} ms | {cells} |" if total else f"| {size} | (no profile line) | |")
    sizes = list(figures)
    first, last = figures[sizes[0]][0], figures[sizes[-1]][0]
    if first and last:
        print(f"\n{sizes[-1]} costs {(last - first) / 1000:.1f} ms more than {sizes[0]}; target: at most 10 ms.\n")


def boot_figures(build, bios_runs, uefi_runs):
    isos = boot_isos(build)
    times = {(kernel, firmware): [] for kernel in isos for firmware in ("bios", "uefi")}
    phases, totals = {}, []
    for firmware, runs in (("bios", bios_runs), ("uefi", uefi_runs)):
        for _ in range(runs):
            for kernel in isos:  # alternating, so drift hits all alike
                seconds, lines = timed_boot(isos[kernel], firmware, READY[kernel])
                times[(kernel, firmware)].append(seconds)
                if kernel == "rayos" and firmware == "bios":
                    for line in lines:
                        if match := PHASE.match(line):
                            phases.setdefault(match.group(1), []).append(int(match.group(2)))
                        if match := PROFILE.match(line):
                            totals.append((int(match.group(1)), int(match.group(2))))
    return times, phases, totals


def kernel_heap_pairs(lines):
    """[(size, cycles, ns)] from the `bench` lines."""
    return [tuple(int(x) for x in match.groups()) for match in map(KERNEL_BENCH.match, lines) if match]


def kernel_heap_figures(build):
    """[(size, cycles, ns, instructions, instructions with lockdep=off)]: TSC
    cycles and ns a pair from a plain boot, then instructions a pair from
    boots under -icount, where the TSC counts one an instruction (the same
    every run), with the lock validator on (the default) and off."""
    _, lines = timed_boot(build / RELEASE_ISO, "bios", "bench: kalloc+kfree 4096", cmdline="exit bench")
    counted = []
    for words in ("exit bench", "exit bench lockdep=off"):
        with tempfile.TemporaryDirectory(prefix="rayos-bench-") as folder:
            config = BootConfig(cmdline=words, timeout=300, extra_args=DETERMINISTIC_CLOCK)
            result = boot(config, build / RELEASE_ISO, folder)
        counted.append({size: cycles for size, cycles, _ in kernel_heap_pairs(result.lines)})
    return [(size, cycles, ns, counted[0].get(size), counted[1].get(size))
            for size, cycles, ns in kernel_heap_pairs(lines)]


def bench_figures(lines, part):
    """{name: (value, unit, how)} of the part's [BENCH] lines, in the order
    the kernel printed them."""
    figures = {}
    for match in map(BENCH_LINE.match, lines):
        if match and match.group(1) == part:
            figures[match.group(2)] = (int(match.group(3)), match.group(4), match.group(5) or "")
    return figures


class UnknownBootWord(Exception):
    """A variant's kernel word that this kernel does not know: its figures
    would be the default's under another name."""


THREADS_CPUS = 2  # the wake-up figure needs a second CPU
# Each variant: kernel words added to `exit bench` (the first, none, is the
# kernel as built, with the lock-order validator on); the second turns the
# validator off, so the report shows what it costs.
THREAD_VARIANTS = ("", "lockdep=off")


def threads_figures(build, runs, variants=THREAD_VARIANTS):
    """{variant: {"values": {name: [value per boot]}, "units": {name: unit},
    "how": {name: how}}} over runs boots each, the variants alternating. A
    variant word the kernel warns is unknown raises UnknownBootWord."""
    figures = {variant: {"values": {}, "units": {}, "how": {}} for variant in variants}
    for _ in range(runs):
        for variant in variants:
            cmdline = f"exit bench {variant}".strip()
            _, lines = timed_boot(build / RELEASE_ISO, "bios", READY["rayos"], cmdline=cmdline,
                                  smp=THREADS_CPUS, timeout=300)
            unknown = [m.group(1) for m in map(UNKNOWN_WORD.match, lines) if m]
            if unknown:
                raise UnknownBootWord(f"variant {variant!r}: this kernel does not know {', '.join(unknown)}")
            measured = bench_figures(lines, "threads")
            if not measured:
                raise RuntimeError(f"variant {variant!r}: no [BENCH] threads lines; last lines {lines[-3:]}")
            for name, (value, unit, how) in measured.items():
                figures[variant]["values"].setdefault(name, []).append(value)
                figures[variant]["units"][name] = unit
                figures[variant]["how"][name] = how
    return figures


def print_threads_figures(figures):
    variants = list(figures)
    print(f"### Threads inside the kernel (`bench`, -smp {THREADS_CPUS}, TCG)\n")
    print("Median over the boots (fastest in brackets). Under TCG every figure includes QEMU's translation;")
    print("the TSCs of QEMU's CPUs follow the host's, so the cross-CPU wake-up compares two CPUs' TSCs.\n")
    names = list(dict.fromkeys(name for variant in variants for name in figures[variant]["values"]))
    heading = " | ".join(variant or "as built" for variant in variants)
    print(f"| figure | {heading} | unit | how |")
    print("|---|" + "---:|" * len(variants) + "---|---|")
    for name in names:
        cells = []
        for variant in variants:
            values = figures[variant]["values"].get(name)
            cells.append(f"{statistics.median(values):,.0f} ({min(values):,})" if values else "-")
        first = next(figures[variant] for variant in variants if name in figures[variant]["values"])
        print(f"| {name} | " + " | ".join(cells) + f" | {first['units'][name]} | {first['how'][name]} |")
    print()


HEAP_REGIMES = {
    "retain": "no allocator gives pages back to Linux: glibc's trim threshold at its maximum, "
              "jemalloc's decay off, RayOS's host backing keeps unmapped pages resident",
    "return": "each allocator gives pages back by its own rule, at once, and Linux takes them: glibc trims "
              "its top above 128 KiB (its default), jemalloc purges at once (decay 0), RayOS's host backing "
              "releases what the heap unmaps (MADV_DONTNEED) and the next use faults pages in again",
}


class UnequalTerms(Exception):
    """The heap figures were not all taken on the same terms."""


def heap_benchmark_names(binary, regime, pattern="."):
    listing = subprocess.run([str(binary), f"--regime={regime}", "--benchmark_list_tests",
                              f"--benchmark_filter={pattern}"], check=True, capture_output=True, text=True)
    return listing.stdout.split()


def run_heap_process(binary, regime, pattern, output, min_time, repetitions):
    """One process of the heap benchmark: its JSON (context and the median
    entries, or every entry with one repetition)."""
    subprocess.run([str(binary), f"--regime={regime}", f"--benchmark_filter={pattern}",
                    f"--benchmark_min_time={min_time}", f"--benchmark_repetitions={repetitions}",
                    "--benchmark_report_aggregates_only=true", f"--benchmark_out={output}",
                    "--benchmark_out_format=json"], check=True, stdout=subprocess.DEVNULL)
    report = json.loads(Path(output).read_text())
    entries = [entry for entry in report["benchmarks"]
               if repetitions == 1 or entry.get("aggregate_name") == "median"]
    return report["context"], entries


def heap_runs(binary, regime, folder, allocators, min_time=0.3, repetitions=3, pattern="."):
    """Every benchmark of binary for the given allocators, each in a process
    of its own: a list of (context, entry)."""
    runs = []
    for name in heap_benchmark_names(binary, regime, pattern):
        if name.split("/")[1] not in allocators:
            continue
        output = Path(folder) / f"{Path(binary).name}-{regime}-{name.replace('/', '_')}.json"
        context, entries = run_heap_process(binary, regime, f"^{re.escape(name)}$", output, min_time, repetitions)
        runs += [(context, entry) for entry in entries]
    return runs


def check_equal_terms(runs, regime):
    """Raises UnequalTerms unless every run had a process of its own, ran
    no trace before its own, and ran under the regime asked for."""
    pids = {}
    for context, entry in runs:
        name = entry["run_name"]
        if context.get("regime") != regime:
            raise UnequalTerms(f"{name} ran under regime {context.get('regime')!r}, not {regime!r}")
        if entry.get("traces_before", 1) != 0:
            raise UnequalTerms(f"{name} ran after {entry.get('traces_before')} other traces in its process")
        pid = entry.get("pid")
        if pid in pids and pids[pid] != name:
            raise UnequalTerms(f"{name} and {pids[pid]} ran in the same process ({pid:.0f})")
        pids[pid] = name
    return True


def heap_table(runs):
    """{trace: {allocator: entry}}; the allocator "malloc" is named by the
    library the context reports (glibc or jemalloc)."""
    table = {}
    for context, entry in runs:
        trace, allocator, *argument = entry["run_name"].split("/")
        if allocator == "malloc":
            allocator = context["malloc"].split()[0]
        table.setdefault(" ".join([trace, *argument]), {})[allocator] = entry
    return table


def heap_figures(build, folder):
    figures = {}
    for regime in HEAP_REGIMES:
        runs = heap_runs(build / "test/host/heap_benchmark", regime, folder, ("rayos", "malloc"))
        runs += heap_runs(build / "test/host/heap_benchmark_jemalloc", regime, folder, ("malloc",))
        check_equal_terms(runs, regime)
        figures[regime] = heap_table(runs)
    return figures


def print_heap_figures(figures):
    allocators = ("rayos", "glibc", "jemalloc")
    print("### Heap allocator natively, on equal terms\n")
    print("Every trace of every allocator runs in a process of its own (checked: pid and traces run")
    print("before, from the benchmark's JSON). RayOS's heap is compiled with the kernel's flags")
    print("(-O2 -mgeneral-regs-only: no SSE). Two page regimes, each applied to all three:\n")
    for regime, meaning in HEAP_REGIMES.items():
        print(f"- **{regime}**: {meaning}.")
    print("\nns per operation (CPU time, median of 3 repetitions):\n")
    print("| trace | " + " | ".join(f"{regime}: RayOS | glibc | jemalloc | RayOS/glibc | RayOS/jemalloc"
                                    for regime in figures) + " |")
    print("|---|" + "---:|" * 5 * len(figures))
    for key in next(iter(figures.values())):
        cells = []
        for regime in figures:
            ns = {name: 1e9 / figures[regime][key][name]["items_per_second"] for name in allocators}
            cells += [f"{ns[name]:.1f}" for name in allocators]
            cells += [f"{ns['rayos'] / ns['glibc']:.2f}", f"{ns['rayos'] / ns['jemalloc']:.2f}"]
        print(f"| {key} | " + " | ".join(cells) + " |")
    print("\nMemory held: anonymous memory resident in the process (/proc/self/smaps_rollup), after")
    print("minus before the allocator's first use, in the first pass. Per byte in use when every slot is")
    print("first full (peak) and at the end of churn; KiB still resident once every block is freed.\n")
    for regime in figures:
        print(f"Regime {regime}:\n")
        print("| trace | peak: RayOS | glibc | jemalloc | end of churn: RayOS | glibc | jemalloc "
              "| KiB after freeing all: RayOS | glibc | jemalloc |")
        print("|---|" + "---:|" * 9)
        for key, row in figures[regime].items():
            def cell(name, counter, form):
                value = row[name].get(counter)
                return form.format(value) if value is not None else "-"
            cells = [cell(name, "held_peak", "{:.2f}") for name in allocators]
            cells += [cell(name, "held_churned", "{:.2f}") for name in allocators]
            cells += [cell(name, "held_after_free_kib", "{:.0f}") for name in allocators]
            print(f"| {key} | " + " | ".join(cells) + " |")
        print()
    print("Targets (issue 15): at most 1.0 times glibc's time and 1.5 times jemalloc's on fixed 16, 64 and 256")
    print("and mixed 16-4096 (random_16_4096).\n")


def timed(command, **kwargs):
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    return time.monotonic() - started


REBUILD_RUNS = 5
QUICK_ROUND = 'boot tests without the slow ones (pytest -n 2 -m "not slow")'


def pipeline_figures(build, run_suite):
    figures = {}
    with tempfile.TemporaryDirectory(prefix="rayos-clean-build-") as folder:
        clean = Path(folder) / "build"
        # Built with ninja, as the edit loop runs it (README, Build):
        # `meson compile` adds its own start, 0.4 s of Python, to each.
        figures["clean configure + build of kernel and ISO"] = timed(
            ["meson", "setup", str(clean), "--cross-file", "ci/x86_64-kernel.ini"], cwd=REPO) + timed(
            ["ninja", "-C", str(clean), RELEASE_ISO], cwd=REPO)
        source = REPO / "src/kernel/panic.cpp"
        rebuilds = []
        for _ in range(REBUILD_RUNS):
            os.utime(source)
            rebuilds.append(timed(["ninja", "-C", str(clean), RELEASE_ISO], cwd=REPO))
        figures["rebuild after touching src/kernel/panic.cpp (median of 5)"] = statistics.median(rebuilds)
    if run_suite:
        figures["whole test suite (bash ci/test.sh)"] = timed(["bash", "ci/test.sh"], cwd=REPO)
        # The edit loop's round (README, Tests), everything built by the run above.
        figures[QUICK_ROUND] = timed(["/usr/bin/python3", "-m", "pytest", "-n", "2", "-m", "not slow",
                                      "-p", "no:cacheprovider", "-q"], cwd=REPO)
    sizes = {"release kernel GRUB loads (build/rayos-release-stripped.elf)":
             (build / "rayos-release-stripped.elf").stat().st_size,
             "release kernel with symbols and DWARF (build/rayos-release.elf)":
             (build / "rayos-release.elf").stat().st_size,
             "test kernel GRUB loads (build/rayos-stripped.elf: kernel tests, UBSan)":
             (build / "rayos-stripped.elf").stat().st_size,
             "release ISO (BIOS and UEFI GRUB)": (build / RELEASE_ISO).stat().st_size}
    return figures, sizes


def chart(phases, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plot
    except ImportError:
        return "(no chart: python3-matplotlib is missing)"
    names = list(phases)
    values = [statistics.median(phases[name]) / 1000 for name in names]
    figure, axes = plot.subplots(figsize=(8, 0.45 * len(names) + 1.2))
    axes.barh(names[::-1], values[::-1], color="#4c72b0")
    axes.set_xlabel("milliseconds (median of the BIOS boots, TCG)")
    axes.set_title("RayOS boot phases, from boot_entry to the ready line")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return f"chart: {path.relative_to(REPO)}"


# The smp part. Under TCG every virtual CPU is a host thread on this
# machine's few cores: the figures compare runs with each other, they do not
# say what hardware would do.
SMP_BRING_UP_COUNTS = (1, 2, 4, 8)
SMP_HEAP_COUNTS = (1, 2, 4)
IPI_TEST = "cross_cpu_call.ipi_round_trip"
HEAP_TORTURE_TEST = "heap_torture.every_cpu_allocates_and_frees_at_once"
# The diagnostics those kernel tests print (`# ...` lines in their KTAP).
IPI_ROUND_TRIP = re.compile(r"^IPI round trip: (\d+) cycles")
HEAP_TORTURE_CPU = re.compile(r"^cpu (\d+): seed 0x[0-9a-f]+, (\d+) allocations, (\d+) frees, (\d+) refused, "
                              r"(\d+) cycles/operation$")


class NotEveryCpu(Exception):
    """A boot meant for -smp N did not bring N CPUs online: its figure would
    measure something else."""


def bring_up_of(lines, smp):
    """The [SMP] line's bring-up milliseconds of a boot with -smp smp."""
    matches = [SMP_LINE.match(line) for line in lines if line.startswith("[SMP] ")]
    if len(matches) != 1 or matches[0] is None:
        raise NotEveryCpu(f"-smp {smp}: no [SMP] line with a bring-up figure: {lines[-3:]}")
    online, enabled = int(matches[0].group(1)), int(matches[0].group(2))
    if (online, enabled) != (smp, smp):
        raise NotEveryCpu(f"-smp {smp}: {matches[0].group(0)}")
    return float(matches[0].group(4))


def smp_bring_up_figures(build, runs, counts=SMP_BRING_UP_COUNTS):
    """{count: [bring-up ms]} over runs boots each, the counts alternating so
    that drift in the host's load hits every count alike."""
    figures = {count: [] for count in counts}
    for _ in range(runs):
        for count in counts:
            _, lines = timed_boot(build / RELEASE_ISO, "bios", READY["rayos"], smp=count)
            figures[count].append(bring_up_of(lines, count))
    return figures


def diagnostics_of(lines, test_id):
    """The KTAP diagnostics of one kernel test and its verdict: "ok", "not ok",
    or its directive (a skip measured nothing)."""
    run = ktap.parse(lines)
    result = run.results.get(test_id)
    if result is None:
        raise RuntimeError(f"no KTAP result for {test_id}: {run.missing or run.errors}")
    return result.diagnostics, (result.directive or "ok") if result.ok else "not ok"


def ipi_round_trip_of(lines):
    """Cycles per IPI round trip from the cross-CPU call test's diagnostic."""
    diagnostics, verdict = diagnostics_of(lines, IPI_TEST)
    cycles = [int(m.group(1)) for m in map(IPI_ROUND_TRIP.match, diagnostics) if m]
    if verdict != "ok" or len(cycles) != 1:
        raise RuntimeError(f"{IPI_TEST}: {verdict}, diagnostics {diagnostics}")
    return cycles[0]


def tsc_mhz_of(lines):
    rates = [int(m.group(2)) for m in map(PROFILE.match, lines) if m]
    if len(rates) != 1:
        raise RuntimeError("no boot profile line with the TSC rate")
    return rates[0]


def heap_operations_per_second(lines, busy):
    """Heap operations per second over all busy CPUs, from the heap torture
    test's per-CPU cycles/operation and the kernel's TSC rate: each CPU does
    TSC Hz / cycles-per-operation, and the CPUs run at once."""
    diagnostics, verdict = diagnostics_of(lines, HEAP_TORTURE_TEST)
    per_cpu = {int(m.group(1)): int(m.group(5)) for m in map(HEAP_TORTURE_CPU.match, diagnostics) if m}
    if verdict != "ok" or sorted(per_cpu) != list(range(busy)) or 0 in per_cpu.values():
        raise RuntimeError(f"{HEAP_TORTURE_TEST} with {busy} CPUs: {verdict}, "
                           f"diagnostics {diagnostics}")
    hz = tsc_mhz_of(lines) * 1_000_000
    return sum(hz / cycles for cycles in per_cpu.values())


def kernel_test_figures(build, test_id, counts, figure_of, runs):
    """{count: [figure]} from booting `test=<test_id>` with -smp count, or a
    sentence saying why there is none (the test is not in this build)."""
    if test_id not in {test.id for test in read_kernel_tests(build / "rayos.elf")}:
        return f"not measured: this build has no kernel test {test_id}"
    figures = {count: [] for count in counts}
    for _ in range(runs):
        for count in counts:
            _, lines = timed_boot(build / "rayos.iso", "bios", "# kernel tests:", cmdline=f"test={test_id}",
                                  smp=count, timeout=300)
            figures[count].append(figure_of(lines, count))
    return figures


def smp_figures(build, runs):
    return {
        "bring-up": smp_bring_up_figures(build, runs),
        "heap": kernel_test_figures(build, HEAP_TORTURE_TEST, SMP_HEAP_COUNTS, heap_operations_per_second, runs),
        "ipi": kernel_test_figures(build, IPI_TEST, (2,), lambda lines, _: ipi_round_trip_of(lines), runs),
    }


def print_smp_figures(figures):
    print("### Every CPU at work (TCG: one host thread per virtual CPU, figures relative)\n")
    print("AP bring-up, BIOS, from the [SMP] line; median (fastest) over alternating runs:\n")
    print("| -smp | runs | bring-up | per AP |")
    print("|---:|---:|---:|---:|")
    for count, values in figures["bring-up"].items():
        aps = count - 1
        per_ap = (f"{statistics.median(values) / aps:.1f} ms ({min(values) / aps:.1f})" if aps else "-")
        print(f"| {count} | {len(values)} | {statistics.median(values):.1f} ms ({min(values):.1f}) | {per_ap} |")
    print("\nHeap operations per second, every CPU busy in the heap torture test, median (fastest):\n")
    if isinstance(figures["heap"], str):
        print(figures["heap"] + "\n")
    else:
        print("| CPUs busy | runs | operations/s | against 1 CPU |")
        print("|---:|---:|---:|---:|")
        single = statistics.median(next(iter(figures["heap"].values())))
        for count, values in figures["heap"].items():
            print(f"| {count} | {len(values)} | {statistics.median(values):,.0f} ({max(values):,.0f}) | "
                  f"{statistics.median(values) / single:.2f} |")
        print()
    print("IPI round trip (a cross-CPU call to CPU 1 and its completion), -smp 2:\n")
    if isinstance(figures["ipi"], str):
        print(figures["ipi"] + "\n")
    else:
        values = figures["ipi"][2]
        print(f"{statistics.median(values):.0f} cycles median, {min(values)} fastest, {len(values)} runs\n")


PARTS = ("boot", "kernel", "heap", "smp", "threads", "pipeline")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default=str(REPO / "build"))
    parser.add_argument("--bios-runs", type=int, default=10)
    parser.add_argument("--uefi-runs", type=int, default=3)
    parser.add_argument("--smp-runs", type=int, default=5, help="boots per CPU count in the smp part")
    parser.add_argument("--threads-runs", type=int, default=5, help="boots per variant in the threads part")
    parser.add_argument("--threads-variant", action="append", default=[], metavar="WORDS",
                        help="kernel words for one more column of the threads part (e.g. lockdep=off)")
    parser.add_argument("--skip-suite", action="store_true", help="leave out the test-suite timing")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated, from {','.join(PARTS)} (default: all)")
    args = parser.parse_args()
    parts = [part for part in args.parts.split(",") if part]
    if unknown := [part for part in parts if part not in PARTS]:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    build = Path(args.build_dir).resolve()
    out = build / "benchmark"
    out.mkdir(exist_ok=True)

    if "boot" in parts:
        times, phases, totals = boot_figures(build, args.bios_runs, args.uefi_runs)
        deterministic = {firmware: deterministic_boot_figures(build, firmware) for firmware in ("bios", "uefi")}
        memory_flat = memory_flat_figures(build)
        chart_note = chart(phases, out / "boot_profile.png")
    if "kernel" in parts:
        kernel_heap = kernel_heap_figures(build)
    if "heap" in parts:
        try:
            heap = heap_figures(build, out)
        except UnequalTerms as error:
            sys.exit(f"benchmark.py: heap figures on unequal terms: {error}")
    if "smp" in parts:
        smp = smp_figures(build, args.smp_runs)
    if "threads" in parts:
        try:
            threads = threads_figures(build, args.threads_runs, THREAD_VARIANTS + tuple(args.threads_variant))
        except UnknownBootWord as error:
            sys.exit(f"benchmark.py: threads part: {error}")
    if "pipeline" in parts:
        pipeline, sizes = pipeline_figures(build, not args.skip_suite)

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    print(f"RayOS benchmarks, {time.strftime('%Y-%m-%d')}, {platform.node()}: {cpu}, {os.cpu_count()} CPUs, "
          f"{qemu} (TCG, no KVM)\n")

    if "boot" in parts:
        print_boot_figures(times, phases, totals, chart_note)
        print_deterministic_boot_figures(deterministic)
        print_memory_flat_figures(memory_flat)
    if "kernel" in parts:
        print_kernel_heap_figures(kernel_heap)
    if "heap" in parts:
        print_heap_figures(heap)
    if "smp" in parts:
        print_smp_figures(smp)
    if "threads" in parts:
        print_threads_figures(threads)
    if "pipeline" in parts:
        print_pipeline_figures(pipeline, sizes)


def print_boot_figures(times, phases, totals, chart_note):
    print("### Boot: QEMU start to the ready line (median, and the fastest run)\n")
    print("| firmware | floor's GRUB set-up | runs | floor | RayOS | RayOS adds | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for firmware in ("bios", "uefi"):
        rayos = times[("rayos", firmware)]
        for floor_name, (_, set_up) in FLOORS.items():
            floor = times[(floor_name, firmware)]
            if not floor:
                continue
            f, r = statistics.median(floor), statistics.median(rayos)
            fastest_f, fastest_r = min(floor), min(rayos)
            print(f"| {firmware.upper()} | {set_up} | {len(floor)} each | {f * 1000:.0f} ms ({fastest_f * 1000:.0f}) | "
                  f"{r * 1000:.0f} ms ({fastest_r * 1000:.0f}) | {(r - f) * 1000:.0f} ms "
                  f"({(fastest_r - fastest_f) * 1000:.0f}) | {r / f:.2f} |")
    print("\nTarget (issue 15): RayOS adds at most 50 ms to the floor under BIOS, 100 ms under UEFI, against")
    print("both floors. This VM's boots vary by tens of milliseconds from run to run; the fastest runs are the")
    print("steadier comparison, and the -icount figures below the noiseless one.\n")

    print("### Boot profile: the kernel's phases (the TSC, at the rate the boot measured), median of the BIOS boots\n")
    print("| phase | µs |")
    print("|---|---:|")
    for name, values in phases.items():
        print(f"| {name} | {statistics.median(values):.0f} |")
    if totals:
        print(f"| **boot_entry to the profile line** | **{statistics.median(t for t, _ in totals):.0f}** |")
        print(f"\nTSC {statistics.median(m for _, m in totals):.0f} MHz; {chart_note}\n")


def print_deterministic_boot_figures(deterministic):
    print("### Boot under -icount: the TSC at the ready line (instructions, 1 ns each; within about 1 ms from run "
          "to run)\n")
    print("| firmware | floor's GRUB set-up | floor at its line | RayOS at boot_entry | RayOS at its ready line "
          "| RayOS adds | target |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for firmware, (floors, entry, ready) in deterministic.items():
        for floor_name, (_, set_up) in FLOORS.items():
            floor = floors[floor_name]
            if None in (floor, entry, ready):
                print(f"| {firmware.upper()} | {set_up} | {floor} | {entry} | {ready} | (a boot printed no TSC) | |")
                continue
            target = 50 if firmware == "bios" else 100
            print(f"| {firmware.upper()} | {set_up} | {floor / 1e6:.1f} ms | {entry / 1e6:.1f} ms | "
                  f"{ready / 1e6:.1f} ms | {(ready - floor) / 1e6:.1f} ms | {target} ms |")
    print("\nboot_entry minus the floor's line is what GRUB and the firmware spend on the larger image (and")
    print("the framebuffer's mode); the ready line minus boot_entry is the kernel's own boot.\n")


def print_kernel_heap_figures(kernel_heap):
    print("### Heap inside the kernel (`bench`), per kalloc+kfree pair\n")
    print("| size | cycles | ns | instructions (-icount) | instructions, lockdep=off |")
    print("|---:|---:|---:|---:|---:|")
    for size, cycles, ns, instructions, without_lockdep in kernel_heap:
        print(f"| {size} | {cycles} | {ns} | {instructions} | {without_lockdep} |")
    print("\nCycles and ns: the TSC under TCG, which follows the host. Instructions: the same boot under")
    print("-icount shift=0,sleep=off, where the TSC advances one an instruction.\n")


def print_pipeline_figures(pipeline, sizes):
    print("### Pipeline\n")
    print("| what | figure |")
    print("|---|---:|")
    for name, seconds in pipeline.items():
        print(f"| {name} | {seconds:.2f} s |")
    for name, size in sizes.items():
        print(f"| {name} | {size / 1024:.0f} KiB |")
    print("\nTargets: clean configure and build at most 5 s, a one-file rebuild at most 1 s, the whole suite at "
          "most 60 s, the quick round without the slow tests at most 20 s, the release kernel GRUB loads at most "
          "256 KiB.\n")


if __name__ == "__main__":
    main()
