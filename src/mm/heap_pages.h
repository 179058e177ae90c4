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
    uint32_t span_pages; // first page of a span: its length
    uint32_t head; // pages of slabs and large blocks, the last page of a free span: the first page
    uint32_t prev; // first page of a free span: bin list; of a slab: partial list
    uint32_t next;
    uint32_t live_blocks; // slab: blocks handed out
    uint32_t mapped_pages; // free span: how many of its pages are mapped
    uint32_t last_offset; // freed_header_here: where in the page the header was
    uint64_t live[2]; // slab: one bit a block
};

inline HeapAllocator::PageDescriptor& HeapAllocator::page(uint32_t index) const
{
    return reinterpret_cast<PageDescriptor*>(m_layout.metadata)[index];
}

} // namespace mm
