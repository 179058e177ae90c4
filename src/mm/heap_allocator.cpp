// The heap's entry points: init, allocate (a slab block or a large block
// of pages of its own) and free (which finds the pointer's block, tells a
// double free, a foreign pointer and an overwritten header apart, and hands
// the block back to its slab or the span bins). heap_allocator.h lists the
// files that hold the other parts.

#include "mm/heap_allocator.h"

#include "mm/heap_block_checks.h"
#include "mm/heap_pages.h"
#include "mm/heap_size_classes.h"
#include "mm/heap_slab_blocks.h"

namespace mm {

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
    m_empty_slab_pages = 0;
    for (uint32_t& list : m_partial)
        list = kNone;
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
    for (uint32_t i = 0; i < initial; ++i)
        page(i).poisoned = true;
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

// The fast path: a block of a slab that exists, at 16 bytes' alignment,
// its header right before the pointer. Everything else (a new slab, a pad
// record, a large block, every refusal) is allocate_slowly's, which checks
// from scratch.
lib::Result<void*, HeapError> HeapAllocator::allocate(size_t size, size_t alignment)
{
    if (size <= kMaxSlabStride - kHeapHeaderSize && alignment - 1 < kHeapHeaderSize
        && is_power_of_two(alignment)) {
        uint8_t size_class = size_class_for((size == 0 ? 1 : size) + kHeapHeaderSize);
        uintptr_t block = try_take_slab_block(size_class);
        if (block != 0) {
            write_record(m_layout.secret, block, kLiveMagic, static_cast<uint32_t>(size), 0);
            count_allocation(size, kHeapClasses.stride[size_class]);
            return reinterpret_cast<void*>(block + kHeapHeaderSize);
        }
    }
    return allocate_slowly(size, alignment);
}

lib::Result<void*, HeapError> HeapAllocator::allocate_slowly(size_t size, size_t alignment)
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
    count_allocation(size, length);
    return reinterpret_cast<void*>(pointer);
}

void HeapAllocator::count_allocation(size_t size, size_t length)
{
    HeapStatistics& stats = m_statistics;
    stats.bytes_in_use += size;
    stats.block_bytes_in_use += length;
    if (stats.bytes_in_use > stats.peak_bytes_in_use)
        stats.peak_bytes_in_use = stats.bytes_in_use;
    ++stats.allocations;
    ++stats.live_allocations;
}

// Fills in where and returns no value: a Result<BlockLocation> went through
// memory, its flag a byte inside a word read whole, and cost a
// store-forwarding stall on every free.
lib::Result<void, HeapError> HeapAllocator::locate(uintptr_t header, BlockLocation& where) const
{
    auto index = static_cast<uint32_t>((header - m_layout.arena) / kHeapPageSize);
    const PageDescriptor& descriptor = page(index);
    uintptr_t pointer = header + kHeapHeaderSize;
    switch (descriptor.kind) {
    case PageKind::Slab:
        where = slab_block_at(header, descriptor);
        if (where.index >= kHeapClasses.blocks[descriptor.size_class])
            return heap_error(
                HeapErrorKind::ForeignPointer, pointer, 0, "it points into a slab's unused tail");
        return {};
    case PageKind::Large:
    case PageKind::LargeInterior: {
        // Alignments above a page put the header past the first page.
        uint32_t head = descriptor.head;
        where = { page_address(head), size_t(page(head).span_pages) * kHeapPageSize, kNone, 0, true };
        return {};
    }
    case PageKind::Free:
        if (descriptor.freed_header_here && header == page_address(index) + descriptor.last_offset)
            return heap_error(HeapErrorKind::DoubleFree, pointer, 0, "the large block was already freed");
        return heap_error(HeapErrorKind::ForeignPointer, pointer, 0, "it points into free heap pages");
    }
    return heap_error(HeapErrorKind::Corrupted, pointer, index, "page descriptor of unknown kind");
}

// The fast path: a live slab block whose header, right before the pointer,
// is intact. Everything else (nullptr, a pad record, a large block, every
// kind of misuse) is free_slowly's, which classifies from scratch.
lib::Result<void, HeapError> HeapAllocator::free(void* pointer_to_free)
{
    auto pointer = reinterpret_cast<uintptr_t>(pointer_to_free);
    uintptr_t header = pointer - kHeapHeaderSize;
    if (header - m_layout.arena < uintptr_t(m_extent) * kHeapPageSize && pointer % kHeapHeaderSize == 0) {
        const PageDescriptor& descriptor
            = page(static_cast<uint32_t>((header - m_layout.arena) / kHeapPageSize));
        if (descriptor.kind == PageKind::Slab) {
            BlockLocation where = slab_block_at(header, descriptor);
            if (where.index < kHeapClasses.blocks[descriptor.size_class] && where.live
                && where.block == header && record_is(m_layout.secret, header, kLiveMagic)
                && record_at(header).offset == 0) {
                uint32_t size = record_at(header).size;
                // Freed whatever the slab's retirement found (it names
                // another block's damage).
                auto freed = free_slab_block(where, header, size);
                count_free(size, where.length);
                return freed;
            }
        }
    }
    return free_slowly(pointer_to_free);
}

lib::Result<void, HeapError> HeapAllocator::free_slowly(void* pointer_to_free)
{
    if (pointer_to_free == nullptr)
        return {};
    auto pointer = reinterpret_cast<uintptr_t>(pointer_to_free);
    if (!contains(pointer_to_free) || pointer < m_layout.arena + kHeapHeaderSize)
        return heap_error(HeapErrorKind::ForeignPointer, pointer, 0, "it lies outside the heap");
    if (pointer % kHeapHeaderSize != 0)
        return heap_error(HeapErrorKind::ForeignPointer, pointer, 0, "it is not 16-byte aligned");
    uintptr_t header = pointer - kHeapHeaderSize;
    BlockLocation where;
    TRY(locate(header, where));
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
        auto freed = free_slab_block(where, header, size);
        count_free(size, where.length);
        return freed;
    }
    auto head = static_cast<uint32_t>((where.block - m_layout.arena) / kHeapPageSize);
    uint32_t pages = page(head).span_pages;
    fill_poison(where.block, where.length);
    for (uint32_t i = head; i < head + pages; ++i)
        page(i).poisoned = true;
    PageDescriptor& header_page = page(static_cast<uint32_t>((header - m_layout.arena) / kHeapPageSize));
    header_page.freed_header_here = true;
    header_page.last_offset = static_cast<uint16_t>(header % kHeapPageSize);
    give_span(head, pages);

    count_free(size, where.length);
    return {};
}

void HeapAllocator::count_free(size_t size, size_t length)
{
    HeapStatistics& stats = m_statistics;
    stats.bytes_in_use -= size;
    stats.block_bytes_in_use -= length;
    ++stats.frees;
    --stats.live_allocations;
}

} // namespace mm
