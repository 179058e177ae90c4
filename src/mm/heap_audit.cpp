// The heap's audit: a walk over every span, slab block, large block, bin
// and list that checks they agree with each other and with the statistics,
// and that free memory still holds poison where the heap put it (freed slab
// blocks' prefixes, pages marked poisoned). Slow (it reads the whole heap);
// run by tests and on demand, never on the allocation path.

#include "lib/bits.h"
#include "mm/heap_allocator.h"
#include "mm/heap_block_checks.h"
#include "mm/heap_pages.h"
#include "mm/heap_size_classes.h"

namespace mm {

lib::Result<void, HeapError> HeapAllocator::audit_slab(
    uint32_t head, uint64_t& bytes, uint64_t& block_bytes, uint64_t& live) const
{
    const PageDescriptor& first = page(head);
    uint8_t size_class = first.size_class;
    uint32_t blocks = kHeapClasses.blocks[size_class];
    uint16_t stride = kHeapClasses.stride[size_class];
    uint32_t counted = 0;
    for (uint32_t i = 0; i < blocks; ++i) {
        uintptr_t block = page_address(head) + uintptr_t(i) * stride;
        const auto& record = record_at(block);
        if ((first.live[i / 64] >> (i % 64)) & 1) {
            ++counted;
            uint32_t offset = record_is(m_layout.secret, block, kPadMagic) ? record.offset : 0;
            uintptr_t header = block + offset;
            if (offset >= stride || !record_is(m_layout.secret, header, kLiveMagic))
                return heap_error(HeapErrorKind::HeaderOverwritten, header + kHeapHeaderSize, 0,
                    "audit: a live block's header is damaged");
            bytes += record_at(header).size;
            block_bytes += stride;
            ++live;
        } else {
            if (!record_is(m_layout.secret, block, kFreedMagic))
                return heap_error(
                    HeapErrorKind::UseAfterFree, block, 0, "audit: a freed block's record was overwritten");
            TRY(check_poison(block + kHeapHeaderSize, slab_poison_length(stride), block));
        }
    }
    // The bits past the last block are set (new_slab says why).
    uint64_t past_low = blocks >= 64 ? 0 : ~uint64_t(0) << blocks;
    uint64_t past_high = blocks >= 128 ? 0 : ~uint64_t(0) << (blocks > 64 ? blocks - 64 : 0);
    if (counted != first.live_blocks || (first.live[0] & past_low) != past_low
        || (first.live[1] & past_high) != past_high)
        return heap_error(
            HeapErrorKind::Corrupted, page_address(head), counted, "audit: slab's live count is wrong");
    return {};
}

lib::Result<void, HeapError> HeapAllocator::audit() const
{
    uint64_t bytes = 0, block_bytes = 0, live = 0, mapped = 0, free_spans = 0, partial_slabs = 0, used = 0,
             empty_slab_pages = 0;
    bool previous_free = false;
    for (uint32_t head = 0; head < m_extent;) {
        const PageDescriptor& first = page(head);
        uint32_t pages = first.span_pages;
        uintptr_t address = page_address(head);
        if (pages == 0 || head + pages > m_extent)
            return heap_error(HeapErrorKind::Corrupted, address, pages, "audit: span length out of range");
        for (uint32_t i = head; i < head + pages; ++i)
            mapped += page(i).mapped ? 1 : 0;
        switch (first.kind) {
        case PageKind::Free: {
            if (previous_free)
                return heap_error(HeapErrorKind::Corrupted, address, 0, "audit: two free spans side by side");
            if (page(head + pages - 1).head != head || first.head != head)
                return heap_error(HeapErrorKind::Corrupted, address, 0, "audit: free span's ends disagree");
            uint32_t span_mapped = 0;
            for (uint32_t i = head; i < head + pages; ++i) {
                if (page(i).kind != PageKind::Free || (page(i).poisoned && !page(i).mapped))
                    return heap_error(
                        HeapErrorKind::Corrupted, page_address(i), 0, "audit: page in a free span");
                if (!page(i).mapped)
                    continue;
                ++span_mapped;
                if (page(i).poisoned)
                    TRY(check_poison(page_address(i), kHeapPageSize, page_address(i)));
            }
            if (span_mapped != first.mapped_pages)
                return heap_error(
                    HeapErrorKind::Corrupted, address, span_mapped, "audit: free span's mapped count");
            ++free_spans;
            break;
        }
        case PageKind::Slab: {
            for (uint32_t i = head; i < head + pages; ++i) {
                if (page(i).kind != PageKind::Slab || page(i).head != head || !page(i).mapped
                    || page(i).poisoned || page(i).size_class != first.size_class)
                    return heap_error(HeapErrorKind::Corrupted, page_address(i), 0, "audit: page in a slab");
            }
            if (pages != kHeapClasses.pages[first.size_class])
                return heap_error(HeapErrorKind::Corrupted, address, pages, "audit: slab length");
            auto slab = audit_slab(head, bytes, block_bytes, live);
            if (!slab)
                return slab;
            if (first.live_blocks < kHeapClasses.blocks[first.size_class])
                ++partial_slabs;
            if (first.live_blocks == 0)
                empty_slab_pages += pages;
            used += pages;
            break;
        }
        case PageKind::Large: {
            for (uint32_t i = head; i < head + pages; ++i) {
                PageKind expected = i == head ? PageKind::Large : PageKind::LargeInterior;
                if (page(i).kind != expected || page(i).head != head || !page(i).mapped || page(i).poisoned)
                    return heap_error(
                        HeapErrorKind::Corrupted, page_address(i), 0, "audit: page in a large block");
            }
            const auto& record = record_at(address);
            uint32_t offset = record_is(m_layout.secret, address, kPadMagic) ? record.offset : 0;
            if (uint64_t(offset) >= uint64_t(pages) * kHeapPageSize
                || !record_is(m_layout.secret, address + offset, kLiveMagic))
                return heap_error(HeapErrorKind::HeaderOverwritten, address + offset + kHeapHeaderSize, 0,
                    "audit: a large block's header is damaged");
            bytes += record_at(address + offset).size;
            block_bytes += uint64_t(pages) * kHeapPageSize;
            ++live;
            used += pages;
            break;
        }
        default:
            return heap_error(
                HeapErrorKind::Corrupted, address, 0, "audit: span starts with an interior page");
        }
        previous_free = first.kind == PageKind::Free;
        head += pages;
    }

    // Every free span is in the bin its length says, and nothing else is.
    uint64_t binned = 0;
    for (size_t bin = 0; bin < kBinCount; ++bin) {
        if (((m_nonempty_bins >> bin) & 1) != (m_bins[bin] != kNone))
            return heap_error(HeapErrorKind::Corrupted, 0, bin, "audit: bin mask");
        for (uint32_t head = m_bins[bin]; head != kNone; head = page(head).next) {
            if (head >= m_extent || page(head).kind != PageKind::Free || bin_of(page(head).span_pages) != bin
                || ++binned > free_spans)
                return heap_error(HeapErrorKind::Corrupted, page_address(head), bin, "audit: bin list");
        }
    }
    uint64_t listed = 0;
    for (size_t c = 0; c < kHeapClassCount; ++c) {
        for (uint32_t slab = m_partial[c]; slab != kNone; slab = page(slab).next) {
            if (slab >= m_extent || page(slab).kind != PageKind::Slab || page(slab).size_class != c
                || page(slab).live_blocks >= kHeapClasses.blocks[c] || ++listed > partial_slabs)
                return heap_error(
                    HeapErrorKind::Corrupted, page_address(slab), c, "audit: partial slab list");
        }
    }
    const HeapStatistics& stats = m_statistics;
    if (binned != free_spans || listed != partial_slabs)
        return heap_error(HeapErrorKind::Corrupted, 0, binned, "audit: a span or slab missing from its list");
    if (bytes != stats.bytes_in_use || block_bytes != stats.block_bytes_in_use
        || live != stats.live_allocations || mapped != stats.pages_held || used != m_statistics.pages_in_use
        || stats.bytes_held != stats.pages_held * kHeapPageSize
        || stats.allocations - stats.frees != stats.live_allocations
        || stats.pages_held < m_layout.initial_pages || empty_slab_pages != m_empty_slab_pages)
        return heap_error(HeapErrorKind::Corrupted, 0, bytes, "audit: statistics disagree with the blocks");
    return {};
}

} // namespace mm
