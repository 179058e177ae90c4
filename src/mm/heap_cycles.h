#pragma once

// The kernel heap timed where it runs: TSC cycles per kalloc+kfree pair on
// real frames and page tables, with the spinlock and interrupt guard the
// host benchmark leaves out. One "[BOOT] bench: ..." line a size.

#include <stdint.h>

namespace mm {

void measure_heap_cycles(uint64_t tsc_cycles_per_ms);

} // namespace mm
