#pragma once

// The kernel heap checked on real frames and page tables, from the seed's
// list: many allocations do not overlap, every alignment from 1 to 4096 is
// honoured, the statistics follow every call, long-lived blocks survive
// churn (what breaks a bump allocator), 100000 random operations keep every
// invariant, and memory goes back to the frame allocator. One "[TEST] heap
// <name>: ok (...)" line each; a failure panics with what it saw.

namespace mm {

void run_heap_self_test();

} // namespace mm
