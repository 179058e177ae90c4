#pragma once

// Threads' kernel stacks: frames mapped in a region of their own (PML4
// slot 391, next to the CPU stacks of mm/cpu_stack_region.h), each stack in
// a fixed slot above an unmapped guard page, so an overflow faults on the
// guard (and the fault report names the thread) instead of running into
// another thread's stack.
//
// Threads take and give back their stacks through the cache of
// sched/thread_stack_cache.h, which maps and unmaps with the two below.

#include <stddef.h>
#include <stdint.h>

#include "arch/page_size.h"

namespace sched {

inline constexpr uint64_t kThreadStackRegionBase = 0xFFFFC38000000000;
inline constexpr size_t kThreadStackBytes = size_t { 16 } * 1024;
// The slot: the guard page, the stack, and unmapped space above it up to
// the next slot's guard.
inline constexpr size_t kThreadStackSlotBytes = size_t { 32 } * 1024;
inline constexpr size_t kThreadStackSlots = 8192;

struct ThreadStack {
    uint64_t guard; // the unmapped page below
    uint64_t bottom;
    uint64_t top;
};

// Maps a stack in a free slot; false when no slot or no frame is left
// (nothing stays mapped then).
bool allocate_thread_stack(ThreadStack& stack);
// Unmaps it (the TLBs of all CPUs flushed), frees its frames and its slot.
void free_thread_stack(const ThreadStack& stack);

} // namespace sched
