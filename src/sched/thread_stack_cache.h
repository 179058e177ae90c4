#pragma once

// Threads take their stacks (sched/thread_stack.h) through a cache of the
// stacks dead threads gave back, still mapped: spawning then maps nothing,
// and an exit unmaps nothing, so it sends no TLB shootdown that stops every
// other CPU (under TCG with 2 CPUs, a spawn and join took a third of the
// time it took without the cache: README, Threads inside the kernel).
// Linux and FreeBSD keep freed stacks for the same reason.
//
// Sized by memory, so that a burst of threads ending together finds room
// without a small machine giving its memory to it: a 256th of the usable
// frames, 64 stacks (1 MiB) at most, one at least; 63 stacks with -m 256M
// (253 MiB usable), one with -m 8M.
//
// The price: a stale pointer into a cached stack reads old data instead of
// faulting, and a stale write corrupts the next thread to take it. A stack
// given back twice while cached is caught (a panic): two threads would
// otherwise share it.

#include <stddef.h>
#include <stdint.h>

#include "sched/thread_stack.h"

namespace sched {

inline constexpr size_t kMaxCachedThreadStacks = 64;
inline constexpr uint64_t kUsableFramesPerCachedFrame = 256;
size_t thread_stack_cache_capacity();

// A stack for a new thread, all zero (nothing of a thread before it is left
// to mislead a reader of its memory): a cached one, or else a new mapping.
bool take_thread_stack(ThreadStack& stack);
// A dead thread's stack: into the cache while there is room, freed else.
// Panics if the stack is in the cache already.
void give_back_thread_stack(const ThreadStack& stack);
// The frames the cache holds: in use, and no test's (ktest's leak check).
uint64_t cached_thread_stack_frames();

} // namespace sched
