#pragma once

// sync::Mutex timed where it runs (`bench`): TSC cycles per lock+unlock
// with no contention (the CAS fast path both ways), and per acquisition
// when two threads on different CPUs want it at once (waiters sleep and are
// woken). "[BOOT] bench: mutex ..." lines; ci/benchmark.py reads them.

#include <stdint.h>

namespace sync {

void measure_mutex_cycles(uint64_t tsc_cycles_per_ms);

} // namespace sync
