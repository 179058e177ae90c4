#pragma once

// The early kernel allocator: hands out memory from one fixed arena by
// moving a cursor forward. Freeing the most recent block moves the cursor
// back; any other freed block stays unused until the real heap (the memory
// issue) replaces this. Pure logic: host-tested.

#include <stddef.h>
#include <stdint.h>

namespace mm {

struct BumpAllocatorStats {
    size_t capacity = 0;
    size_t bytes_in_use = 0; // from the arena start to the cursor
    size_t allocations = 0;
    size_t frees = 0;
    size_t failed_allocations = 0;
};

class BumpAllocator {
public:
    constexpr BumpAllocator() = default;
    BumpAllocator(uint8_t* arena, size_t size) { reset(arena, size); }

    void reset(uint8_t* arena, size_t size);

    // nullptr when the arena is full, size is 0, or alignment is not a power
    // of two.
    void* allocate(size_t size, size_t alignment);
    void free(void* pointer);

    bool owns(const void* pointer) const;
    const BumpAllocatorStats& stats() const { return m_stats; }
    const uint8_t* arena() const { return m_arena; }

private:
    uint8_t* m_arena = nullptr;
    size_t m_cursor = 0;
    size_t m_last_block = 0; // start of the most recent block, for free()
    size_t m_cursor_before_last = 0;
    bool m_has_last_block = false;
    BumpAllocatorStats m_stats;
};

} // namespace mm
