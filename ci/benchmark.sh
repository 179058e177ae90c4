#!/usr/bin/env bash
# Every benchmark in one run, as Markdown on stdout (progress on stderr):
# boot time against the GRUB floor, the kernel's boot phases (and a PNG
# chart in build/benchmark/), the heap inside the kernel, the heap against
# glibc and jemalloc (on equal terms: see test/host/heap_benchmark.cpp), every
# CPU at work, threads and the scheduler inside the kernel, and the build
# pipeline. Figures, never a pass or fail; not part of the tests.
#   bash ci/benchmark.sh [--parts boot,kernel,heap,smp,threads,pipeline] [--skip-suite]
#                        [--bios-runs N] [--uefi-runs N] [--threads-runs N]
#                        [--threads-variant WORDS]
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh >&2
bash ci/install_packages.sh libbenchmark-dev libjemalloc-dev python3-matplotlib >&2
# jemalloc may have arrived just now: let Meson find it.
meson setup --reconfigure build --cross-file ci/x86_64-kernel.ini >&2
meson compile -C build rayos.iso rayos-release.iso floor.iso floor-plain.iso heap_benchmark heap_benchmark_jemalloc >&2
exec /usr/bin/python3 ci/benchmark.py "$@"
