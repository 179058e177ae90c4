// The heap's page heap: free spans of pages, kept in bins by length (one
// bin a length up to 63 pages, the last for all longer), coalesced with
// their free neighbours when given back. Slabs and large blocks take their
// pages here; a bin mask finds the smallest fitting bin in one instruction.
// Growing the arena and mapping pages are heap_page_mapping.cpp's.

#include "mm/heap_allocator.h"
#include "mm/heap_block_checks.h"
#include "mm/heap_pages.h"

namespace mm {

// ---- Lists of spans, linked through their first page's descriptor ---------

void HeapAllocator::list_push(uint32_t& list, uint32_t head)
{
    PageDescriptor& descriptor = page(head);
    descriptor.prev = kNone;
    descriptor.next = list;
    if (list != kNone)
        page(list).prev = head;
    list = head;
}

void HeapAllocator::list_remove(uint32_t& list, uint32_t head)
{
    PageDescriptor& descriptor = page(head);
    if (descriptor.prev != kNone)
        page(descriptor.prev).next = descriptor.next;
    else
        list = descriptor.next;
    if (descriptor.next != kNone)
        page(descriptor.next).prev = descriptor.prev;
}

// ---- Page spans --------------------------------------------------------

size_t HeapAllocator::bin_of(uint32_t pages)
{
    // Spans are never empty; 0 maps to the first bin rather than wrapping.
    if (pages == 0)
        return 0;
    return pages < kBinCount ? pages - 1 : kBinCount - 1;
}

void HeapAllocator::insert_free_span(uint32_t head, uint32_t pages, uint32_t mapped)
{
    PageDescriptor& first = page(head);
    first.kind = PageKind::Free;
    first.span_pages = pages;
    first.head = head;
    first.mapped_pages = mapped;
    PageDescriptor& last = page(head + pages - 1);
    last.kind = PageKind::Free;
    last.head = head;

    size_t bin = bin_of(pages);
    list_push(m_bins[bin], head);
    m_nonempty_bins |= 1ull << bin;
}

void HeapAllocator::remove_free_span(uint32_t head)
{
    size_t bin = bin_of(page(head).span_pages);
    list_remove(m_bins[bin], head);
    if (m_bins[bin] == kNone)
        m_nonempty_bins &= ~(1ull << bin);
}

uint32_t HeapAllocator::find_free_span(uint32_t pages) const
{
    size_t wanted = bin_of(pages);
    uint64_t candidates = m_nonempty_bins & ~((1ull << wanted) - 1);
    if (candidates == 0)
        return kNone;
    auto bin = static_cast<size_t>(__builtin_ctzll(candidates));
    if (bin < kBinCount - 1)
        return m_bins[bin]; // an exact-length bin at or above the request
    // The last bin holds every length from kBinCount up: first fit.
    for (uint32_t head = m_bins[bin]; head != kNone; head = page(head).next) {
        if (page(head).span_pages >= pages)
            return head;
    }
    return kNone;
}

lib::Result<uint32_t, HeapError> HeapAllocator::take_span(uint32_t pages)
{
    // When the arena or the frames run out, the empty slabs kept for their
    // classes give way first.
    auto taken = take_span_once(pages);
    if (taken.has_value() || taken.error().kind != HeapErrorKind::OutOfMemory || m_empty_slab_pages == 0)
        return taken;
    TRY(retire_empty_slabs());
    return take_span_once(pages);
}

lib::Result<uint32_t, HeapError> HeapAllocator::take_span_once(uint32_t pages)
{
    uint32_t head = find_free_span(pages);
    if (head == kNone) {
        TRY(grow(pages));
        head = find_free_span(pages);
    }
    uint32_t span = page(head).span_pages;
    uint32_t mapped = page(head).mapped_pages;

    // Pages that stayed mapped while free, poisoned whole, must still be poison.
    uint32_t already_mapped = 0;
    for (uint32_t i = head; i < head + pages; ++i) {
        if (!page(i).mapped)
            continue;
        ++already_mapped;
        if (page(i).poisoned)
            TRY(check_poison(page_address(i), kHeapPageSize, page_address(i)));
    }
    uint32_t newly_mapped = 0;
    TRY(map_span_pages(head, pages, newly_mapped));

    remove_free_span(head);
    if (span > pages)
        insert_free_span(head + pages, span - pages, mapped - already_mapped);
    for (uint32_t i = head; i < head + pages; ++i) {
        page(i).freed_header_here = false;
        page(i).poisoned = false;
    }
    page(head).span_pages = pages;
    m_statistics.pages_in_use += pages;
    return head;
}

void HeapAllocator::give_span(uint32_t head, uint32_t pages)
{
    // Every page of a span in use is mapped.
    m_statistics.pages_in_use -= pages;
    for (uint32_t i = head; i < head + pages; ++i)
        page(i).kind = PageKind::Free;
    uint32_t mapped = pages;
    if (head > 0 && page(head - 1).kind == PageKind::Free) {
        uint32_t below = page(head - 1).head;
        mapped += page(below).mapped_pages;
        pages += head - below;
        remove_free_span(below);
        head = below;
    }
    uint32_t above = head + pages;
    if (above < m_extent && page(above).kind == PageKind::Free) {
        mapped += page(above).mapped_pages;
        pages += page(above).span_pages;
        remove_free_span(above);
    }
    insert_free_span(head, pages, mapped);
    release_pages(head);
}

} // namespace mm
