#pragma once

// What the heap knows about each page of its arena: one PageDescriptor a
// page, in a metadata array beside the arena (mapped as the arena's extent
// grows). The descriptors are shared by every part of the heap: the span
// bins and the page mapping (heap_span_bins.cpp, heap_page_mapping.cpp),
// the slabs (heap_slabs.cpp), large blocks and free (heap_allocator.cpp),
// and the audit (heap_audit.cpp).

#include <stdint.h>

#include "mm/heap_allocator.h"

namespace mm {

enum class PageKind : uint8_t {
    Free, // part of a free span (only its first and last page are kept exact)
    Slab, // every page of a slab knows the slab's first page
    Large, // first page of a large block
    LargeInterior,
};

struct HeapAllocator::PageDescriptor {
    PageKind kind;
    uint8_t size_class; // slab pages
    bool mapped;
    bool freed_header_here; // free page that held a large block's header: tells a double free
    // A free, mapped page whose every byte holds poison, checked when the
    // page is taken again. A retired slab's pages do not: only their blocks'
    // records and poisoned prefixes were kept, and filling the rest would
    // write every byte for no check (heap_allocator.h, "Poison").
    bool poisoned;
    uint16_t last_offset; // freed_header_here: where in the page the header was
    uint32_t span_pages; // first page of a span: its length
    uint32_t head; // pages of slabs and large blocks, the last page of a free span: the first page
    uint32_t prev; // first page of a free span: bin list; of a slab: partial list
    uint32_t next;
    uint32_t live_blocks; // slab: blocks handed out
    uint32_t mapped_pages; // free span: how many of its pages are mapped
    uint64_t live[2]; // slab: one bit a block
};

// Where a pointer's block is (locate() in heap_allocator.cpp; slab_block_at()
// and free_slab_block() in heap_slab_blocks.h).
struct HeapAllocator::BlockLocation {
    uintptr_t block;
    size_t length; // the slab stride, or the large span's bytes
    uint32_t slab; // first page of the slab, or kNone for a large block
    uint32_t index; // block index within the slab
    bool live;
};

inline HeapAllocator::PageDescriptor& HeapAllocator::page(uint32_t index) const
{
    static_assert(sizeof(PageDescriptor) == 48, "a descriptor a page: keep it small");
    return reinterpret_cast<PageDescriptor*>(m_layout.metadata)[index];
}

} // namespace mm
