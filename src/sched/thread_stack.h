#pragma once

// Threads' kernel stacks: frames mapped in a region of their own (PML4
// slot 391, next to the CPU stacks of mm/cpu_stack_region.h), each stack in
// a fixed slot above an unmapped guard page, so an overflow faults on the
// guard (and the fault report names the thread) instead of running into
// another thread's stack.

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

// Threads take their stacks through a cache of stacks that dead threads
// gave back, still mapped: spawning then maps nothing, and an exit unmaps
// nothing, so it sends no TLB shootdown that stops every other CPU (under
// TCG with 2 CPUs, a spawn and join took a third of the time it took
// without the cache: README, Threads inside the kernel).
// Linux and FreeBSD keep freed stacks for the same reason. Sized by memory,
// so that a burst of threads ending together finds room without a small
// machine giving its memory to it: a 256th of the usable frames, 64 stacks
// (1 MiB) at most, one at least; 63 stacks with -m 256M (253 MiB usable),
// one with -m 8M.
inline constexpr size_t kMaxCachedThreadStacks = 64;
inline constexpr uint64_t kUsableFramesPerCachedFrame = 256;
size_t thread_stack_cache_capacity();

// A stack for a new thread, all zero (nothing of a thread before it is left
// to mislead a reader of its memory): a cached one, or else a new mapping.
bool take_thread_stack(ThreadStack& stack);
// A dead thread's stack: into the cache while there is room, freed else.
void give_back_thread_stack(const ThreadStack& stack);
// The frames the cache holds: in use, and no test's (ktest's leak check).
uint64_t cached_thread_stack_frames();

} // namespace sched
