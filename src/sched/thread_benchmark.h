#pragma once

// Threads timed where they run (`bench`): TSC cycles per context switch on
// one CPU, per spawn+join, the wake-up latency of a thread blocked on
// another CPU, and how far past 1 ms sleep_ms(1) returns. One
// "[BENCH] threads <name> <value> cycles (<how>)" line a figure, which
// ci/benchmark.py's threads part reads. Under TCG the figures compare runs
// of RayOS with each other; they do not say what hardware would do.

#include <stdint.h>

namespace sched {

void measure_thread_cycles(uint64_t tsc_cycles_per_ms);

} // namespace sched
