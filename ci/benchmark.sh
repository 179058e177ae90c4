#!/usr/bin/env bash
# Benchmarks (not tests: they print figures and never fail on them).
# Today: the kernel heap's allocator against glibc malloc on the same
# traces, as a Markdown table with the ratio (time RayOS / time glibc).
#   bash ci/benchmark.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh >&2
meson compile -C build heap_benchmark >&2
mkdir -p build/benchmark
build/test/host/heap_benchmark --benchmark_min_time=0.5 --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true \
  --benchmark_out=build/benchmark/heap.json --benchmark_out_format=json >&2
/usr/bin/python3 ci/benchmark_table.py build/benchmark/heap.json
