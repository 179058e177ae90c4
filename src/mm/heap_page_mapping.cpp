// The heap's arena and its pages: the extent grows in steps of at least
// 256 KiB (with the page descriptors mapped to match), a span's pages are
// mapped when the span is taken, and free pages beyond what the heap keeps
// for reuse are unmapped, their frames going back (heap_allocator.h has
// the rule). Everything here talks to the HeapBacking.

#include "mm/heap_allocator.h"
#include "mm/heap_block_checks.h"
#include "mm/heap_pages.h"

namespace mm {

namespace {

constexpr uint32_t kGrowPages = 64; // the arena's extent grows by at least 256 KiB

} // namespace

size_t HeapAllocator::metadata_bytes(size_t arena_pages)
{
    size_t bytes = arena_pages * sizeof(PageDescriptor);
    return (bytes + kHeapPageSize - 1) & ~(kHeapPageSize - 1);
}

lib::Result<void, HeapError> HeapAllocator::grow(uint32_t pages)
{
    // A free span at the top of the extent counts toward the request.
    uint32_t top_free = 0;
    if (m_extent > 0 && page(m_extent - 1).kind == PageKind::Free)
        top_free = page(page(m_extent - 1).head).span_pages;
    uint32_t needed = pages - top_free;
    uint32_t growth = needed > kGrowPages ? needed : kGrowPages;
    uint64_t room = m_layout.arena_pages - m_extent;
    if (needed > room)
        return heap_error(HeapErrorKind::OutOfMemory, m_layout.arena, pages * kHeapPageSize, "arena full");
    if (growth > room)
        growth = static_cast<uint32_t>(room);

    // Descriptors for the new pages.
    auto metadata_needed = static_cast<uint32_t>(metadata_bytes(m_extent + growth) / kHeapPageSize);
    if (metadata_needed > m_metadata_pages) {
        uint32_t count = metadata_needed - m_metadata_pages;
        if (!m_backing->map(m_layout.metadata + uintptr_t(m_metadata_pages) * kHeapPageSize, count))
            return heap_error(HeapErrorKind::OutOfMemory, m_layout.metadata, count, "no page for metadata");
        m_metadata_pages = metadata_needed;
        m_statistics.metadata_pages = m_metadata_pages;
    }

    uint32_t head = m_extent;
    for (uint32_t i = head; i < head + growth; ++i)
        page(i) = PageDescriptor { PageKind::Free, 0, false, false, false, 0, 0, head, kNone, kNone, 0, 0,
            { 0, 0 } };
    m_extent += growth;

    // Join the free span below, if any.
    uint32_t mapped = 0;
    if (top_free != 0) {
        uint32_t below = page(head - 1).head;
        mapped = page(below).mapped_pages;
        remove_free_span(below);
        growth += head - below;
        head = below;
    }
    insert_free_span(head, growth, mapped);
    return {};
}

lib::Result<void, HeapError> HeapAllocator::map_span_pages(
    uint32_t head, uint32_t pages, uint32_t& newly_mapped)
{
    // Runs of unmapped pages are mapped first and marked after, so a failure
    // can find (by the same walk) and undo exactly what this call mapped.
    auto for_each_unmapped_run = [&](uint32_t end, auto&& action) {
        for (uint32_t i = head; i < end;) {
            if (page(i).mapped) {
                ++i;
                continue;
            }
            uint32_t run = i;
            while (run < end && !page(run).mapped)
                ++run;
            if (!action(i, run))
                return i;
            i = run;
        }
        return end;
    };
    uint32_t end = head + pages;
    uint32_t failed_at = for_each_unmapped_run(end,
        [&](uint32_t first, uint32_t last) { return m_backing->map(page_address(first), last - first); });
    if (failed_at != end) {
        for_each_unmapped_run(failed_at, [&](uint32_t first, uint32_t last) {
            m_backing->unmap(page_address(first), last - first);
            return true;
        });
        newly_mapped = 0;
        return heap_error(HeapErrorKind::OutOfMemory, page_address(failed_at), pages * kHeapPageSize,
            "no frame for heap pages");
    }
    newly_mapped = 0;
    for (uint32_t i = head; i < end; ++i) {
        if (!page(i).mapped) {
            page(i).mapped = true;
            ++newly_mapped;
        }
    }
    m_statistics.pages_held += newly_mapped;
    m_statistics.bytes_held = m_statistics.pages_held * kHeapPageSize;
    return {};
}

void HeapAllocator::release_pages(uint32_t head)
{
    PageDescriptor& first = page(head);
    // Free memory kept (free pages mapped and empty slabs) is reused without
    // touching the page tables; beyond 2 MiB of it (and never below the
    // initial size) free pages go back.
    uint64_t free_kept = free_pages_kept();
    if (first.mapped_pages < kHeapReleaseMinPages
        || free_kept <= kHeapRetainFreePages + kHeapReleaseBatchPages
        || m_statistics.pages_held <= m_layout.initial_pages)
        return;
    uint64_t budget = m_statistics.pages_held - m_layout.initial_pages;
    if (free_kept - kHeapRetainFreePages < budget)
        budget = free_kept - kHeapRetainFreePages;
    // From the top of the span down, in runs of mapped pages.
    uint32_t i = head + first.span_pages;
    while (i > head && budget > 0) {
        if (!page(i - 1).mapped) {
            --i;
            continue;
        }
        uint32_t run_end = i;
        while (i > head && page(i - 1).mapped && run_end - (i - 1) <= budget)
            --i;
        uint32_t count = run_end - i;
        m_backing->unmap(page_address(i), count);
        for (uint32_t j = i; j < run_end; ++j)
            page(j).mapped = page(j).poisoned = false;
        first.mapped_pages -= count;
        budget -= count;
        m_statistics.pages_held -= count;
        m_statistics.pages_given_back += count;
    }
    m_statistics.bytes_held = m_statistics.pages_held * kHeapPageSize;
}

} // namespace mm
