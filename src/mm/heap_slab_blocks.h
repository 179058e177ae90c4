#pragma once

// A slab block handed out and given back: the heap's fast path, inline in
// allocate() and free() (heap_allocator.cpp; heap_slabs.cpp uses the block
// checks), since a Result returned through memory from another file cost a
// store-forwarding stall on every call. The slabs' lives (made, listed,
// retired) are heap_slabs.cpp's.

#include "mm/heap_allocator.h"
#include "mm/heap_block_checks.h"
#include "mm/heap_pages.h"
#include "mm/heap_size_classes.h"

namespace mm {

// The lowest free block of a slab (the bits past its last block are set:
// new_slab says why). The slab has one.
inline uint32_t HeapAllocator::first_free_block(const PageDescriptor& slab)
{
    uint64_t free_low = ~slab.live[0];
    return free_low != 0 ? static_cast<uint32_t>(__builtin_ctzll(free_low))
                         : 64 + static_cast<uint32_t>(__builtin_ctzll(~slab.live[1]));
}

// The block is exactly as free() left it: its record sealed as freed, its
// prefix poison.
inline bool HeapAllocator::block_is_as_freed(uintptr_t block, uint16_t stride) const
{
    return record_is(m_layout.secret, block, kFreedMagic)
        && prefix_holds_poison(block + kHeapHeaderSize, slab_poison_length(stride));
}

inline void HeapAllocator::mark_taken(uint32_t slab, uint8_t size_class, uint32_t index)
{
    PageDescriptor& first = page(slab);
    first.live[index / 64] |= 1ull << (index % 64);
    if (first.live_blocks++ == 0)
        m_empty_slab_pages -= kHeapClasses.pages[size_class];
    if (first.live_blocks == kHeapClasses.blocks[size_class])
        remove_partial(size_class, slab);
}

// The fast path's take: the class's first slab with a free block, if it
// has one and the block is intact; 0 sends the caller down the slow path,
// which makes a slab or names the damage.
[[gnu::always_inline]] inline uintptr_t HeapAllocator::try_take_slab_block(uint8_t size_class)
{
    uint32_t slab = m_partial[size_class];
    if (slab == kNone)
        return 0;
    uint32_t index = first_free_block(page(slab));
    uint16_t stride = kHeapClasses.stride[size_class];
    uintptr_t block = page_address(slab) + uintptr_t(index) * stride;
    if (!block_is_as_freed(block, stride))
        return 0;
    mark_taken(slab, size_class, index);
    return block;
}

// What block_is_as_freed() found wrong with a block, named.
inline lib::Failure<HeapError> HeapAllocator::damage_in_freed_block(uintptr_t block, uint16_t stride) const
{
    if (!record_is(m_layout.secret, block, kFreedMagic))
        return heap_error(HeapErrorKind::UseAfterFree, block, 0, "the freed block's record was overwritten");
    return lib::fail(check_poison(block + kHeapHeaderSize, slab_poison_length(stride), block).error());
}

inline lib::Result<uintptr_t, HeapError> HeapAllocator::take_slab_block(uint8_t size_class)
{
    uint32_t slab = m_partial[size_class];
    if (slab == kNone) {
        auto created = TRY(new_slab(size_class));
        slab = created;
    }
    uint32_t index = first_free_block(page(slab));
    uint16_t stride = kHeapClasses.stride[size_class];
    uintptr_t block = page_address(slab) + uintptr_t(index) * stride;
    if (!block_is_as_freed(block, stride))
        return damage_in_freed_block(block, stride);
    mark_taken(slab, size_class, index);
    return block;
}

// Which block of a slab a header falls in; where.index is past the slab's
// blocks when the header lies in its unused tail.
inline HeapAllocator::BlockLocation HeapAllocator::slab_block_at(
    uintptr_t header, const PageDescriptor& descriptor) const
{
    uint8_t size_class = descriptor.size_class;
    uint32_t slab = descriptor.head;
    uintptr_t base = page_address(slab);
    uint32_t index = block_index_in_slab(header - base, size_class);
    uint16_t stride = kHeapClasses.stride[size_class];
    bool live = (page(slab).live[index / 64 % 2] >> (index % 64)) & 1;
    return { base + uintptr_t(index) * stride, stride, slab, index, live };
}

[[gnu::always_inline]] inline lib::Result<void, HeapError> HeapAllocator::free_slab_block(
    const BlockLocation& where, uintptr_t header, uint32_t size)
{
    PageDescriptor& slab = page(where.slab);
    uint8_t size_class = slab.size_class;
    auto offset = static_cast<uint32_t>(header - where.block);
    fill_prefix_poison(where.block + kHeapHeaderSize, slab_poison_length(where.length));
    if (offset != 0)
        fill_poison(header, kHeapHeaderSize); // a live header past the poisoned prefix
    write_record(m_layout.secret, where.block, kFreedMagic, size, offset);
    slab.live[where.index / 64] &= ~(1ull << (where.index % 64));
    // A slab that was full goes first in line: its memory is warm, and a
    // write after free there is caught by the next allocations.
    if (slab.live_blocks-- == kHeapClasses.blocks[size_class])
        push_partial(size_class, where.slab);
    if (slab.live_blocks != 0)
        return {};
    // An empty slab is kept for its class while the free memory the heap
    // holds stays within what it keeps for reuse, and always when it is the
    // class's only slab with a free block (or a pair of calls at the class's
    // boundary would make and retire a slab each time); past that it goes
    // back to the free pages.
    m_empty_slab_pages += kHeapClasses.pages[size_class];
    bool only_slab = m_partial[size_class] == where.slab && slab.next == kNone;
    if (only_slab || free_pages_kept() <= kHeapRetainFreePages)
        return {};
    return retire_slab(size_class, where.slab);
}

} // namespace mm
