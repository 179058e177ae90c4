#include "mm/early_heap.h"

#include <stdint.h>

#include "kernel/panic.h"

namespace mm::early_heap {
namespace {

alignas(4096) uint8_t g_arena[kArenaSize];
// constinit: usable before (and by) global constructors.
constinit BumpAllocator g_allocator;

BumpAllocator& allocator()
{
    if (g_allocator.arena() == nullptr)
        g_allocator.reset(g_arena, sizeof(g_arena));
    return g_allocator;
}

} // namespace

void* allocate(size_t size, size_t alignment)
{
    void* block = allocator().allocate(size == 0 ? 1 : size, alignment);
    if (block == nullptr) {
        PANIC("early heap cannot satisfy {} bytes aligned to {} ({} of {} bytes in use)", size, alignment,
            allocator().stats().bytes_in_use, allocator().stats().capacity);
    }
    return block;
}

void free(void* pointer)
{
    if (pointer != nullptr && !allocator().owns(pointer))
        PANIC("early heap asked to free {}, which it never returned", pointer);
    allocator().free(pointer);
}

const BumpAllocatorStats& stats()
{
    return allocator().stats();
}

const void* arena_start()
{
    return g_arena;
}

} // namespace mm::early_heap
