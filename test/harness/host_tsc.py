"""The host's TSC rate: the oracle for the kernel's TSC figures, since under
QEMU's TCG a guest's RDTSC returns the host's TSC plus an offset (QEMU's
cpu_get_host_ticks()). Measured by a small C program against the host's
CLOCK_MONOTONIC_RAW, once per session."""

import subprocess
from pathlib import Path

HOST_TSC_SOURCE = r"""
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>
static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC_RAW, &t); return t.tv_sec + t.tv_nsec / 1e9;
}
int main(void) {
    double best = 0;
    for (int i = 0; i < 3; ++i) {           /* three 200 ms windows: the median */
        double t0 = now(); unsigned long long c0 = __rdtsc();
        while (now() - t0 < 0.2) {}
        double t1 = now(); unsigned long long c1 = __rdtsc();
        double mhz = (c1 - c0) / (t1 - t0) / 1e6;
        printf("%.3f\n", mhz);
        best = mhz;
    }
    return best > 0 ? 0 : 1;
}
"""


def measure_host_tsc_mhz(folder):
    """The median of three 200 ms windows, in MHz; folder holds the program."""
    folder = Path(folder)
    (folder / "host_tsc.c").write_text(HOST_TSC_SOURCE)
    subprocess.run(["cc", "-O2", "-o", str(folder / "host_tsc"), str(folder / "host_tsc.c")], check=True)
    figures = sorted(float(line) for line in subprocess.run(
        [str(folder / "host_tsc")], check=True, capture_output=True, text=True).stdout.split())
    return figures[1]
