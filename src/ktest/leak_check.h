#pragma once

// What a kernel test holds when it ends: heap blocks and bytes in use, and
// frames in use outside the heap, the page tables and the cache of threads'
// stacks. Those grow and shrink on their own (the heap maps pages as it
// grows and gives them back past 2 MiB free; a new mapping may need a table
// that then stays; a thread's end may keep its stack for the next), so a
// correct test that makes the heap grow shows no leak, and a block or a
// frame it keeps does.

#include <stdint.h>

namespace ktest {

struct MemorySnapshot {
    uint64_t frames; // in use, less heap pages, heap metadata, page tables, cached stacks
    uint64_t blocks; // live heap allocations
    uint64_t bytes; // their requested bytes
};

MemorySnapshot take_memory_snapshot();

// after - before, each figure; negative when a test freed what it did not
// take.
struct Leak {
    int64_t frames;
    int64_t blocks;
    int64_t bytes;

    bool any() const { return frames != 0 || blocks != 0 || bytes != 0; }
};

Leak leak_between(const MemorySnapshot& before, const MemorySnapshot& after);

} // namespace ktest
