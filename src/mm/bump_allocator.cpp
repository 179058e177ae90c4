#include "mm/bump_allocator.h"

namespace mm {

void BumpAllocator::reset(uint8_t* arena, size_t size)
{
    m_arena = arena;
    m_cursor = 0;
    m_has_last_block = false;
    m_stats = {};
    m_stats.capacity = size;
}

void* BumpAllocator::allocate(size_t size, size_t alignment)
{
    bool power_of_two = alignment != 0 && (alignment & (alignment - 1)) == 0;
    if (size == 0 || !power_of_two || m_arena == nullptr) {
        ++m_stats.failed_allocations;
        return nullptr;
    }
    // Align the address, not the offset: the arena itself may be unaligned.
    auto base = reinterpret_cast<uintptr_t>(m_arena);
    uintptr_t aligned = (base + m_cursor + alignment - 1) & ~(uintptr_t(alignment) - 1);
    size_t start = aligned - base;
    if (start < m_cursor || start > m_stats.capacity || size > m_stats.capacity - start) {
        ++m_stats.failed_allocations;
        return nullptr;
    }
    m_cursor_before_last = m_cursor;
    m_last_block = start;
    m_has_last_block = true;
    m_cursor = start + size;
    m_stats.bytes_in_use = m_cursor;
    ++m_stats.allocations;
    return m_arena + start;
}

void BumpAllocator::free(void* pointer)
{
    if (pointer == nullptr)
        return;
    ++m_stats.frees;
    if (m_has_last_block && pointer == m_arena + m_last_block) {
        m_cursor = m_cursor_before_last;
        m_stats.bytes_in_use = m_cursor;
        m_has_last_block = false;
    }
}

bool BumpAllocator::owns(const void* pointer) const
{
    auto address = reinterpret_cast<uintptr_t>(pointer);
    auto base = reinterpret_cast<uintptr_t>(m_arena);
    return m_arena != nullptr && address >= base && address < base + m_stats.capacity;
}

} // namespace mm
