// Slabs: a few pages cut into blocks of one size class (heap_size_classes.h),
// with a bitmap of live blocks in the first page's descriptor. Per class, a
// list of slabs with a free block and one empty slab kept back; a block is
// checked (record and poison) before it is handed out again.

#include "mm/heap_allocator.h"
#include "mm/heap_block_checks.h"
#include "mm/heap_pages.h"
#include "mm/heap_size_classes.h"

namespace mm {

void HeapAllocator::push_partial(uint8_t size_class, uint32_t slab)
{
    list_push(m_partial[size_class], slab);
}

void HeapAllocator::remove_partial(uint8_t size_class, uint32_t slab)
{
    list_remove(m_partial[size_class], slab);
}

lib::Result<uint32_t, HeapError> HeapAllocator::new_slab(uint8_t size_class)
{
    uint32_t pages = kHeapClasses.pages[size_class];
    auto taken = TRY(take_span(pages));
    uint32_t head = taken;
    for (uint32_t i = head; i < head + pages; ++i) {
        page(i).kind = PageKind::Slab;
        page(i).size_class = size_class;
        page(i).head = head;
    }
    PageDescriptor& first = page(head);
    first.live_blocks = 0;
    first.live[0] = first.live[1] = 0;

    uintptr_t base = page_address(head);
    fill_poison(base, size_t(pages) * kHeapPageSize);
    for (uint32_t block = 0; block < kHeapClasses.blocks[size_class]; ++block)
        write_record(m_layout.secret, base + uintptr_t(block) * kHeapClasses.stride[size_class], kFreedMagic,
            0, kNeverUsed);
    push_partial(size_class, head);
    return head;
}

lib::Result<uintptr_t, HeapError> HeapAllocator::take_slab_block(uint8_t size_class)
{
    uint32_t slab = m_partial[size_class];
    if (slab == kNone) {
        auto created = TRY(new_slab(size_class));
        slab = created;
    }
    PageDescriptor& first = page(slab);
    uint32_t blocks = kHeapClasses.blocks[size_class];
    uint32_t index = kNone;
    for (uint32_t word = 0; word < 2 && index == kNone; ++word) {
        uint64_t free_bits = ~first.live[word];
        if (blocks < (word + 1) * 64)
            free_bits &= (1ull << (blocks - word * 64)) - 1; // blocks - word*64 < 64 here
        if (free_bits != 0)
            index = word * 64 + static_cast<uint32_t>(__builtin_ctzll(free_bits));
    }
    uint16_t stride = kHeapClasses.stride[size_class];
    uintptr_t block = page_address(slab) + uintptr_t(index) * stride;

    // The block must be exactly as free() left it.
    if (!record_is(m_layout.secret, block, kFreedMagic))
        return heap_error(HeapErrorKind::UseAfterFree, block, 0, "the freed block's record was overwritten");
    TRY(check_poison(block + kHeapHeaderSize, stride - kHeapHeaderSize, block));

    first.live[index / 64] |= 1ull << (index % 64);
    if (++first.live_blocks == blocks)
        remove_partial(size_class, slab);
    if (m_empty[size_class] == slab)
        m_empty[size_class] = kNone;
    return block;
}

void HeapAllocator::retire_slab(uint8_t size_class, uint32_t slab)
{
    remove_partial(size_class, slab);
    uint32_t pages = kHeapClasses.pages[size_class];
    fill_poison(page_address(slab), size_t(pages) * kHeapPageSize);
    give_span(slab, pages);
}

} // namespace mm
