"""Turns Google Benchmark's JSON from test/host/heap_benchmark into a
Markdown table: each trace's nanoseconds per operation for the RayOS heap
and glibc malloc, and their ratio (below 1 means RayOS is faster)."""

import json
import sys


def per_operation_ns(entry):
    # items_per_second counts every allocation and free in the trace.
    return 1e9 / entry["items_per_second"]


def main(path):
    with open(path) as stream:
        report = json.load(stream)
    medians = {}
    repetitions = 1
    for entry in report["benchmarks"]:
        repetitions = max(repetitions, entry.get("repetitions", 1))
        if entry.get("aggregate_name", "median") != "median":
            continue
        name = entry["run_name"] if "run_name" in entry else entry["name"]
        trace, _, allocator_and_rest = name.partition("/")
        allocator, _, argument = allocator_and_rest.partition("/")
        key = f"{trace} {argument}".strip()
        medians.setdefault(key, {})[allocator] = per_operation_ns(entry)
    context = report["context"]
    print(f"Heap allocator, ns per operation (median of {repetitions} runs; "
          f"{context['num_cpus']} CPUs at {context['mhz_per_cpu']} MHz)\n")
    print("| trace | RayOS heap | glibc malloc | RayOS / glibc |")
    print("|---|---:|---:|---:|")
    for key, figures in medians.items():
        if "rayos" not in figures or "glibc" not in figures:
            continue
        ratio = figures["rayos"] / figures["glibc"]
        print(f"| {key} | {figures['rayos']:.1f} | {figures['glibc']:.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1])
