#pragma once

// The kernel's allocator until the memory issue brings the real heap:
// a bump allocator over a fixed arena in .bss. operator new/delete use it.

#include <stddef.h>

#include "mm/bump_allocator.h"

namespace mm::early_heap {

inline constexpr size_t kArenaSize = 256 * 1024;

// Never returns nullptr: running out of early heap is a kernel bug and
// panics with the request's size.
void* allocate(size_t size, size_t alignment);
void free(void* pointer);

const BumpAllocatorStats& stats();
const void* arena_start();

} // namespace mm::early_heap
