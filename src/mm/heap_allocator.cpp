// The heap's entry points: init, allocate (a slab block or a large block
// of pages of its own) and free (which finds the pointer's block, tells a
// double free, a foreign pointer and an overwritten header apart, and hands
// the block back to its slab or the span bins). heap_allocator.h lists the
// files that hold the other parts.

#include "mm/heap_allocator.h"

#include "mm/heap_block_checks.h"
#include "mm/heap_pages.h"
#include "mm/heap_size_classes.h"

namespace mm {

struct HeapAllocator::BlockLocation {
    uintptr_t block;
    size_t length; // the slab stride, or the large span's bytes
    uint32_t slab; // first page of the slab, or kNone for a large block
    uint32_t index; // block index within the slab
    bool live;
};

namespace {

bool is_power_of_two(size_t value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

} // namespace

const char* describe(HeapErrorKind kind)
{
    switch (kind) {
    case HeapErrorKind::OutOfMemory:
        return "out of memory";
    case HeapErrorKind::BadAlignment:
        return "alignment is not a power of two up to 2 MiB";
    case HeapErrorKind::TooLarge:
        return "larger than the heap can ever be";
    case HeapErrorKind::DoubleFree:
        return "double free";
    case HeapErrorKind::ForeignPointer:
        return "free of a pointer the heap never returned";
    case HeapErrorKind::HeaderOverwritten:
        return "block header overwritten";
    case HeapErrorKind::UseAfterFree:
        return "use after free: freed memory was written";
    case HeapErrorKind::Corrupted:
        return "heap metadata corrupted";
    }
    return "unknown heap error";
}

bool HeapAllocator::contains(const void* pointer) const
{
    auto address = reinterpret_cast<uintptr_t>(pointer);
    return address >= m_layout.arena && address < m_layout.arena + uintptr_t(m_extent) * kHeapPageSize;
}

lib::Result<void, HeapError> HeapAllocator::init(const HeapLayout& layout, HeapBacking& backing)
{
    m_layout = layout;
    m_backing = &backing;
    m_extent = 0;
    m_metadata_pages = 0;
    m_nonempty_bins = 0;
    m_statistics = {};
    for (uint32_t& bin : m_bins)
        bin = kNone;
    for (size_t c = 0; c < 32; ++c)
        m_partial[c] = m_empty[c] = kNone;
    if (layout.initial_pages == 0 || layout.initial_pages > layout.arena_pages)
        return heap_error(HeapErrorKind::TooLarge, layout.arena, layout.initial_pages, "initial size");

    TRY(grow(static_cast<uint32_t>(layout.initial_pages)));
    // The initial pages are mapped now and kept for the heap's life; free
    // memory holds poison from the start.
    auto initial = static_cast<uint32_t>(layout.initial_pages);
    uint32_t newly_mapped = 0;
    TRY(map_span_pages(0, initial, newly_mapped));
    page(0).mapped_pages = initial;
    fill_poison(m_layout.arena, size_t(initial) * kHeapPageSize);
    return {};
}

uintptr_t HeapAllocator::place(uintptr_t block, size_t size, size_t alignment, uint32_t& offset) const
{
    uintptr_t pointer = (block + kHeapHeaderSize + alignment - 1) & ~(uintptr_t(alignment) - 1);
    offset = static_cast<uint32_t>(pointer - kHeapHeaderSize - block);
    if (offset != 0)
        write_record(m_layout.secret, block, kPadMagic, 0, offset);
    write_record(m_layout.secret, pointer - kHeapHeaderSize, kLiveMagic, static_cast<uint32_t>(size), offset);
    return pointer;
}

lib::Result<void*, HeapError> HeapAllocator::allocate(size_t size, size_t alignment)
{
    if (!is_power_of_two(alignment) || alignment > kMaxHeapAlignment)
        return heap_error(HeapErrorKind::BadAlignment, 0, alignment, "alignment");
    if (alignment < kHeapHeaderSize)
        alignment = kHeapHeaderSize;
    if (size > m_layout.arena_pages * kHeapPageSize || size > 0xFFFFFFFFu)
        return heap_error(HeapErrorKind::TooLarge, 0, size, "size");

    // Room for the header and, past 16, the worst alignment padding.
    size_t payload = size == 0 ? 1 : size;
    size_t needed = payload + (alignment > kHeapHeaderSize ? alignment : kHeapHeaderSize);
    uintptr_t block;
    size_t length;
    if (needed <= kMaxSlabStride && alignment <= kHeapPageSize) {
        uint8_t size_class = size_class_for(needed);
        auto taken = TRY(take_slab_block(size_class));
        block = taken;
        length = kHeapClasses.stride[size_class];
    } else {
        auto pages = static_cast<uint32_t>((needed + kHeapPageSize - 1) / kHeapPageSize);
        auto taken = TRY(take_span(pages));
        uint32_t head = taken;
        for (uint32_t i = head; i < head + pages; ++i) {
            page(i).kind = i == head ? PageKind::Large : PageKind::LargeInterior;
            page(i).head = head;
        }
        block = page_address(head);
        length = size_t(pages) * kHeapPageSize;
    }
    uint32_t offset;
    uintptr_t pointer = place(block, size, alignment, offset);

    HeapStatistics& stats = m_statistics;
    stats.bytes_in_use += size;
    stats.block_bytes_in_use += length;
    if (stats.bytes_in_use > stats.peak_bytes_in_use)
        stats.peak_bytes_in_use = stats.bytes_in_use;
    ++stats.allocations;
    ++stats.live_allocations;
    return reinterpret_cast<void*>(pointer);
}

lib::Result<HeapAllocator::BlockLocation, HeapError> HeapAllocator::locate(uintptr_t header) const
{
    auto index = static_cast<uint32_t>((header - m_layout.arena) / kHeapPageSize);
    const PageDescriptor& descriptor = page(index);
    uintptr_t pointer = header + kHeapHeaderSize;
    switch (descriptor.kind) {
    case PageKind::Slab: {
        uint8_t size_class = descriptor.size_class;
        uint32_t slab = descriptor.head;
        uintptr_t base = page_address(slab);
        auto block_index = block_index_in_slab(header - base, size_class);
        if (block_index >= kHeapClasses.blocks[size_class])
            return heap_error(
                HeapErrorKind::ForeignPointer, pointer, 0, "it points into a slab's unused tail");
        bool live = (page(slab).live[block_index / 64] >> (block_index % 64)) & 1;
        return BlockLocation { base + uintptr_t(block_index) * kHeapClasses.stride[size_class],
            kHeapClasses.stride[size_class], slab, block_index, live };
    }
    case PageKind::Large:
    case PageKind::LargeInterior: {
        // Alignments above a page put the header past the first page.
        uint32_t head = descriptor.head;
        return BlockLocation { page_address(head), size_t(page(head).span_pages) * kHeapPageSize, kNone, 0,
            true };
    }
    case PageKind::Free:
        if (descriptor.freed_header_here && header == page_address(index) + descriptor.last_offset)
            return heap_error(HeapErrorKind::DoubleFree, pointer, 0, "the large block was already freed");
        return heap_error(HeapErrorKind::ForeignPointer, pointer, 0, "it points into free heap pages");
    }
    return heap_error(HeapErrorKind::Corrupted, pointer, index, "page descriptor of unknown kind");
}

lib::Result<void, HeapError> HeapAllocator::free(void* pointer_to_free)
{
    if (pointer_to_free == nullptr)
        return {};
    auto pointer = reinterpret_cast<uintptr_t>(pointer_to_free);
    if (!contains(pointer_to_free) || pointer < m_layout.arena + kHeapHeaderSize)
        return heap_error(HeapErrorKind::ForeignPointer, pointer, 0, "it lies outside the heap");
    if (pointer % kHeapHeaderSize != 0)
        return heap_error(HeapErrorKind::ForeignPointer, pointer, 0, "it is not 16-byte aligned");
    uintptr_t header = pointer - kHeapHeaderSize;
    auto located = TRY(locate(header));
    const BlockLocation& where = located;
    const auto& block_record = record_at(where.block);

    if (!where.live) {
        if (record_is(m_layout.secret, where.block, kFreedMagic)
            && block_record.offset == header - where.block)
            return heap_error(
                HeapErrorKind::DoubleFree, pointer, block_record.size, "the block was already freed");
        return heap_error(HeapErrorKind::ForeignPointer, pointer, 0, "it points into a free block");
    }
    uint32_t offset = record_is(m_layout.secret, where.block, kPadMagic) ? block_record.offset : 0;
    if (header - where.block != offset)
        return heap_error(HeapErrorKind::ForeignPointer, pointer, header - where.block,
            "it points inside a live block, not where the block's header is");
    const auto& live_header = record_at(header);
    if (!record_is(m_layout.secret, header, kLiveMagic) || live_header.offset != offset)
        return heap_error(HeapErrorKind::HeaderOverwritten, pointer, live_header.magic,
            "magic or check value does not match");
    uint32_t size = live_header.size;

    if (where.slab != kNone) {
        PageDescriptor& slab = page(where.slab);
        uint8_t size_class = slab.size_class;
        fill_poison(where.block, where.length);
        write_record(m_layout.secret, where.block, kFreedMagic, size, offset);
        slab.live[where.index / 64] &= ~(1ull << (where.index % 64));
        bool was_full = slab.live_blocks == kHeapClasses.blocks[size_class];
        --slab.live_blocks;
        // The slab that was just freed into goes first: its memory is warm,
        // and a write after free there is caught by the next allocations.
        if (!was_full)
            remove_partial(size_class, where.slab);
        push_partial(size_class, where.slab);
        if (slab.live_blocks == 0) {
            // Keep one empty slab a class, so a class at its boundary does
            // not build and tear down a slab on every call.
            if (m_empty[size_class] == kNone)
                m_empty[size_class] = where.slab;
            else
                retire_slab(size_class, where.slab);
        }
    } else {
        auto head = static_cast<uint32_t>((where.block - m_layout.arena) / kHeapPageSize);
        uint32_t pages = page(head).span_pages;
        fill_poison(where.block, where.length);
        PageDescriptor& header_page = page(static_cast<uint32_t>((header - m_layout.arena) / kHeapPageSize));
        header_page.freed_header_here = true;
        header_page.last_offset = static_cast<uint32_t>(header % kHeapPageSize);
        give_span(head, pages);
    }

    HeapStatistics& stats = m_statistics;
    stats.bytes_in_use -= size;
    stats.block_bytes_in_use -= where.length;
    ++stats.frees;
    --stats.live_allocations;
    return {};
}

} // namespace mm
