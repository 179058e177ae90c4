// Slabs: a few pages cut into blocks of one size class (heap_size_classes.h),
// with a bitmap of live blocks in the first page's descriptor. Per class, a
// list of slabs with a free block, empty ones kept while the heap's free
// memory allows; a block is checked (record and poisoned prefix) before it
// is handed out again.

#include "mm/heap_allocator.h"
#include "mm/heap_block_checks.h"
#include "mm/heap_pages.h"
#include "mm/heap_size_classes.h"
#include "mm/heap_slab_blocks.h"

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
    // The bits past the slab's last block are set, as if those blocks were
    // live, so finding a free block needs no mask.
    uint32_t blocks = kHeapClasses.blocks[size_class];
    first.live[0] = blocks >= 64 ? 0 : ~uint64_t(0) << blocks;
    first.live[1] = blocks >= 128 ? 0 : ~uint64_t(0) << (blocks > 64 ? blocks - 64 : 0);

    uintptr_t base = page_address(head);
    uint16_t stride = kHeapClasses.stride[size_class];
    size_t poisoned = slab_poison_length(stride);
    for (uint32_t block = 0; block < blocks; ++block) {
        uintptr_t address = base + uintptr_t(block) * stride;
        write_record(m_layout.secret, address, kFreedMagic, 0, kNeverUsed);
        fill_poison(address + kHeapHeaderSize, poisoned);
    }
    push_partial(size_class, head);
    m_empty_slab_pages += pages;
    return head;
}

lib::Result<void, HeapError> HeapAllocator::retire_empty_slabs()
{
    for (uint8_t size_class = 0; size_class < kHeapClassCount; ++size_class) {
        for (uint32_t slab = m_partial[size_class]; slab != kNone;) {
            uint32_t next = page(slab).next; // giving the span back touches only free pages
            if (page(slab).live_blocks == 0)
                TRY(retire_slab(size_class, slab));
            slab = next;
        }
    }
    return {};
}

lib::Result<void, HeapError> HeapAllocator::retire_slab(uint8_t size_class, uint32_t slab)
{
    // Its pages are not poisoned whole (PageDescriptor::poisoned): the
    // blocks' records and prefixes are, the rest is what the blocks held.
    // Nothing looks at them again, so each block is checked now, as its
    // reuse would have checked it; a damaged slab stays, empty and kept.
    uint16_t stride = kHeapClasses.stride[size_class];
    for (uint32_t index = 0; index < kHeapClasses.blocks[size_class]; ++index) {
        uintptr_t block = page_address(slab) + uintptr_t(index) * stride;
        if (!block_is_as_freed(block, stride))
            return damage_in_freed_block(block, stride);
    }
    remove_partial(size_class, slab);
    m_empty_slab_pages -= kHeapClasses.pages[size_class];
    give_span(slab, kHeapClasses.pages[size_class]);
    return {};
}

} // namespace mm
