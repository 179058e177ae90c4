#!/usr/bin/python3
"""Every RayOS benchmark in one run, printed as Markdown (ci/benchmark.sh
builds what it needs first). Figures, never a pass or a fail.

  boot      RayOS against the boot floor (a Multiboot2 kernel that writes one
            line and exits, same GRUB set-up), alternating, BIOS and UEFI
  profile   the kernel's own [BOOT] phase lines, as a table and a PNG chart
  kernel    TSC cycles per kalloc+kfree pair inside the kernel (`bench`)
  heap      the heap allocator natively against glibc malloc and jemalloc
  pipeline  clean build, one-file rebuild, test suite, ELF and ISO sizes
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "test"))

from harness.qemu import BootConfig, make_config_disk, qemu_command  # noqa: E402

READY = {"rayos": "[BOOT] RayOS ready", "floor": "[BOOT] floor ready"}
PHASE = re.compile(r"^\[BOOT\] phase (.+): (\d+) us$")
PROFILE = re.compile(r"^\[BOOT\] boot profile: (\d+) us from boot_entry to here, TSC (\d+) MHz")
KERNEL_BENCH = re.compile(r"^\[BOOT\] bench: kalloc\+kfree (\d+) bytes: (\d+) cycles per pair \((\d+) ns\)$")


def serial_text(path):
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def timed_boot(iso, firmware, marker, cmdline="exit", timeout=120):
    """Seconds from starting QEMU to the first serial line with marker, and
    the serial lines. The config disk is made before the clock starts."""
    with tempfile.TemporaryDirectory(prefix="rayos-bench-") as folder:
        workdir = Path(folder)
        config = BootConfig(cmdline=cmdline, firmware=firmware, timeout=timeout)
        command = qemu_command(config, iso, workdir, make_config_disk(workdir, config.cmdline, config.loader))
        serial = workdir / "serial.log"
        started = time.monotonic()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
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
        if ready is None and marker in serial_text(serial):
            ready = time.monotonic() - started  # seen only after exit: an upper bound
        if ready is None:
            raise RuntimeError(f"{iso.name} ({firmware}) never printed {marker!r}")
        return ready, serial_text(serial).splitlines()


def boot_figures(build, bios_runs, uefi_runs):
    isos = {"rayos": build / "rayos.iso", "floor": build / "floor.iso"}
    times = {(kernel, firmware): [] for kernel in isos for firmware in ("bios", "uefi")}
    phases, totals = {}, []
    for firmware, runs in (("bios", bios_runs), ("uefi", uefi_runs)):
        for _ in range(runs):
            for kernel in ("floor", "rayos"):  # alternating, so drift hits both alike
                seconds, lines = timed_boot(isos[kernel], firmware, READY[kernel])
                times[(kernel, firmware)].append(seconds)
                if kernel == "rayos" and firmware == "bios":
                    for line in lines:
                        if match := PHASE.match(line):
                            phases.setdefault(match.group(1), []).append(int(match.group(2)))
                        if match := PROFILE.match(line):
                            totals.append((int(match.group(1)), int(match.group(2))))
    return times, phases, totals


def kernel_heap_figures(build):
    _, lines = timed_boot(build / "rayos.iso", "bios", "bench: kalloc+kfree 4096", cmdline="exit bench")
    return [tuple(int(x) for x in KERNEL_BENCH.match(line).groups()) for line in lines if KERNEL_BENCH.match(line)]


def run_heap_benchmark(binary, output):
    subprocess.run([str(binary), "--benchmark_min_time=0.3", "--benchmark_repetitions=3",
                    "--benchmark_report_aggregates_only=true", f"--benchmark_out={output}",
                    "--benchmark_out_format=json"], check=True, stdout=subprocess.DEVNULL)
    medians = {}
    for entry in json.loads(output.read_text())["benchmarks"]:
        if entry.get("aggregate_name") != "median":
            continue
        trace, allocator, *argument = entry["run_name"].split("/")
        key = " ".join([trace, *argument])
        medians.setdefault(key, {})[allocator] = (1e9 / entry["items_per_second"],
                                                  entry.get("held_per_byte"))
    return medians


def timed(command, **kwargs):
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    return time.monotonic() - started


def pipeline_figures(build, run_suite):
    figures = {}
    with tempfile.TemporaryDirectory(prefix="rayos-clean-build-") as folder:
        clean = Path(folder) / "build"
        figures["clean configure + build of kernel and ISO"] = timed(
            ["meson", "setup", str(clean), "--cross-file", "ci/x86_64-kernel.ini"], cwd=REPO) + timed(
            ["meson", "compile", "-C", str(clean), "rayos.iso"], cwd=REPO)
        source = REPO / "src/kernel/panic.cpp"
        os.utime(source)
        figures["rebuild after touching src/kernel/panic.cpp"] = timed(
            ["meson", "compile", "-C", str(clean), "rayos.iso"], cwd=REPO)
    if run_suite:
        figures["whole test suite (bash ci/test.sh)"] = timed(["bash", "ci/test.sh"], cwd=REPO)
    sizes = {"kernel ELF (with symbols)": (build / "rayos.elf").stat().st_size,
             "ISO (BIOS and UEFI GRUB)": (build / "rayos.iso").stat().st_size}
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default=str(REPO / "build"))
    parser.add_argument("--bios-runs", type=int, default=10)
    parser.add_argument("--uefi-runs", type=int, default=3)
    parser.add_argument("--skip-suite", action="store_true", help="leave out the test-suite timing")
    args = parser.parse_args()
    build = Path(args.build_dir).resolve()
    out = build / "benchmark"
    out.mkdir(exist_ok=True)

    times, phases, totals = boot_figures(build, args.bios_runs, args.uefi_runs)
    kernel_heap = kernel_heap_figures(build)
    glibc = run_heap_benchmark(build / "test/host/heap_benchmark", out / "heap_glibc.json")
    jemalloc = run_heap_benchmark(build / "test/host/heap_benchmark_jemalloc", out / "heap_jemalloc.json")
    pipeline, sizes = pipeline_figures(build, not args.skip_suite)
    chart_note = chart(phases, out / "boot_profile.png")

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    print(f"RayOS benchmarks, {time.strftime('%Y-%m-%d')}, {platform.node()}: {cpu}, {os.cpu_count()} CPUs, "
          f"{qemu} (TCG, no KVM)\n")

    print("### Boot: QEMU start to the ready line (median, and the fastest run)\n")
    print("| firmware | runs | floor | RayOS | RayOS adds | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for firmware in ("bios", "uefi"):
        floor, rayos = times[("floor", firmware)], times[("rayos", firmware)]
        if not floor:
            continue
        f, r = statistics.median(floor), statistics.median(rayos)
        fastest_f, fastest_r = min(floor), min(rayos)
        print(f"| {firmware.upper()} | {len(floor)} each | {f * 1000:.0f} ms ({fastest_f * 1000:.0f}) | "
              f"{r * 1000:.0f} ms ({fastest_r * 1000:.0f}) | {(r - f) * 1000:.0f} ms "
              f"({(fastest_r - fastest_f) * 1000:.0f}) | {r / f:.2f} |")
    print("\nTarget: RayOS adds under 100 ms to the floor under TCG. This VM's boots vary by tens of")
    print("milliseconds from run to run; the fastest runs are the steadier comparison.\n")

    print("### Boot profile: the kernel's phases (TSC against the PIT), median of the BIOS boots\n")
    print("| phase | µs |")
    print("|---|---:|")
    for name, values in phases.items():
        print(f"| {name} | {statistics.median(values):.0f} |")
    if totals:
        print(f"| **boot_entry to the profile line** | **{statistics.median(t for t, _ in totals):.0f}** |")
        print(f"\nTSC {statistics.median(m for _, m in totals):.0f} MHz; {chart_note}\n")

    print("### Heap inside the kernel (`bench`), per kalloc+kfree pair\n")
    print("| size | cycles | ns |")
    print("|---:|---:|---:|")
    for size, cycles, ns in kernel_heap:
        print(f"| {size} | {cycles} | {ns} |")

    print("\n### Heap allocator natively: ns per operation, and bytes held per byte in use at peak\n")
    print("| trace | RayOS | glibc | jemalloc | RayOS/glibc | RayOS/jemalloc | held/used RayOS | glibc | jemalloc |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for key, figures in glibc.items():
        rayos_ns, rayos_held = figures["rayos"]
        glibc_ns, glibc_held = figures["malloc"]
        jemalloc_ns, jemalloc_held = jemalloc.get(key, {}).get("malloc", (float("nan"), None))

        def held(value):
            return f"{value:.2f}" if value else "-"
        print(f"| {key} | {rayos_ns:.1f} | {glibc_ns:.1f} | {jemalloc_ns:.1f} | {rayos_ns / glibc_ns:.2f} | "
              f"{rayos_ns / jemalloc_ns:.2f} | {held(rayos_held)} | {held(glibc_held)} | {held(jemalloc_held)} |")
    print("\nTargets: at or below glibc's time on small sizes, within 1.5x of jemalloc.\n")

    print("### Pipeline\n")
    print("| what | figure |")
    print("|---|---:|")
    for name, seconds in pipeline.items():
        print(f"| {name} | {seconds:.1f} s |")
    for name, size in sizes.items():
        print(f"| {name} | {size / 1024:.0f} KiB |")


if __name__ == "__main__":
    main()
