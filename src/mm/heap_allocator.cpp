#include "mm/heap_allocator.h"

#include "lib/bits.h"

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

struct HeapAllocator::SizeClass {
    uint16_t stride; // bytes a block, record included
    uint8_t pages; // pages a slab
    uint8_t blocks; // blocks a slab
};

struct HeapAllocator::BlockLocation {
    uintptr_t block;
    size_t length; // the slab stride, or the large span's bytes
    uint32_t slab; // first page of the slab, or kNone for a large block
    uint32_t index; // block index within the slab
    bool live;
};

namespace {

// The 16-byte record at the start of every block and before every pointer.
struct BlockRecord {
    uint32_t magic;
    uint32_t size; // live: bytes requested; freed: bytes its last owner had
    uint32_t offset; // bytes from the block's start to the live header
    uint32_t check;
};
static_assert(sizeof(BlockRecord) == kHeapHeaderSize);

constexpr uint32_t kLiveMagic = 0x4C495645; // "LIVE"
constexpr uint32_t kPadMagic = 0x50414444; // "PADD": the header is further in
constexpr uint32_t kFreedMagic = 0x46524545; // "FREE"
constexpr uint32_t kNeverUsed = 0xFFFFFFFF; // offset of a block never handed out

constexpr uint64_t kPoisonWord = 0x0101010101010101ull * kHeapPoisonByte;
constexpr uint32_t kGrowPages = 64; // the arena's extent grows by at least 256 KiB

// Strides grow by about an eighth to a quarter, so a block wastes little.
constexpr uint16_t kStrides[] = { 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640,
    768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, kMaxSlabStride };
constexpr size_t kClassCount = sizeof(kStrides) / sizeof(kStrides[0]);

// The fewest pages a slab of this stride needs to waste at most 1/16 of
// itself, with no more blocks than the live bitmap holds.
constexpr uint8_t slab_pages(uint16_t stride)
{
    for (uint32_t pages = 1; pages < 16; ++pages) {
        uint32_t bytes = pages * kHeapPageSize;
        if (bytes / stride >= 1 && bytes % stride <= bytes / 16)
            return static_cast<uint8_t>(pages);
    }
    return 16;
}

struct ClassTable {
    uint16_t stride[kClassCount];
    // ceil(2^32 / stride): (offset * reciprocal) >> 32 is offset / stride,
    // exactly, for every offset inside a slab (below 2^16), without a divide.
    uint32_t reciprocal[kClassCount];
    uint8_t pages[kClassCount];
    uint8_t blocks[kClassCount];
    uint8_t by_granule[kMaxSlabStride / 16 + 1]; // (stride + 15) / 16 -> class
};

constexpr ClassTable make_class_table()
{
    ClassTable table {};
    size_t size_class = 0;
    for (size_t granule = 0; granule <= kMaxSlabStride / 16; ++granule) {
        while (kStrides[size_class] < granule * 16)
            ++size_class;
        table.by_granule[granule] = static_cast<uint8_t>(size_class);
    }
    for (size_t c = 0; c < kClassCount; ++c) {
        uint8_t pages = slab_pages(kStrides[c]);
        uint32_t blocks = pages * kHeapPageSize / kStrides[c];
        table.stride[c] = kStrides[c];
        table.reciprocal[c] = static_cast<uint32_t>(((uint64_t(1) << 32) + kStrides[c] - 1) / kStrides[c]);
        table.pages[c] = pages;
        table.blocks[c] = static_cast<uint8_t>(blocks > 128 ? 128 : blocks);
    }
    return table;
}

constexpr ClassTable kClasses = make_class_table();
static_assert(kClasses.blocks[0] == 128 && kClasses.stride[kClassCount - 1] == kMaxSlabStride);
static_assert(kClassCount <= 32, "per-class lists are sized for 32 classes");

// Which block of a slab of this class a byte offset falls in.
constexpr uint32_t block_index_in_slab(uint64_t offset, size_t size_class)
{
    return static_cast<uint32_t>((offset * kClasses.reciprocal[size_class]) >> 32);
}

// Every class, every offset a slab can have (16 pages): the multiply is the divide.
constexpr bool reciprocals_are_exact()
{
    for (size_t c = 0; c < kClassCount; ++c) {
        for (uint64_t offset = 0; offset < 16 * kHeapPageSize; offset += 1 + offset / 512) {
            if (block_index_in_slab(offset, c) != offset / kClasses.stride[c])
                return false;
        }
    }
    return true;
}
static_assert(reciprocals_are_exact());

// A word loop, not memset: the kernel's memset is `rep stosb`, which QEMU's
// TCG runs a byte at a time (five times slower per free in `bench`).
void fill_poison(uintptr_t start, size_t length)
{
    auto* words = reinterpret_cast<uint64_t*>(start);
    for (size_t i = 0; i < length / 8; ++i)
        words[i] = kPoisonWord;
}

// The index of the first word that is not all poison, or count.
size_t first_unpoisoned_word(const uint64_t* words, size_t count)
{
    for (size_t i = 0; i < count; ++i) {
        if (words[i] != kPoisonWord)
            return i;
    }
    return count;
}

lib::Failure<HeapError> heap_error(HeapErrorKind kind, uintptr_t address, uint64_t detail, const char* reason)
{
    return lib::fail(HeapError { kind, address, detail, reason });
}

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

size_t HeapAllocator::metadata_bytes(size_t arena_pages)
{
    size_t bytes = arena_pages * sizeof(PageDescriptor);
    return (bytes + kHeapPageSize - 1) & ~(kHeapPageSize - 1);
}

HeapAllocator::PageDescriptor& HeapAllocator::page(uint32_t index) const
{
    return reinterpret_cast<PageDescriptor*>(m_layout.metadata)[index];
}

bool HeapAllocator::contains(const void* pointer) const
{
    auto address = reinterpret_cast<uintptr_t>(pointer);
    return address >= m_layout.arena && address < m_layout.arena + uintptr_t(m_extent) * kHeapPageSize;
}

uint32_t HeapAllocator::seal(uintptr_t address, uint32_t magic, uint32_t size, uint32_t offset) const
{
    // Two multiplies: enough that a stray write or a guessed header fails the
    // check, cheap enough for every allocation and free.
    uint64_t value
        = (address ^ m_layout.secret) + (uint64_t(magic) << 32 | size) * 0x9E3779B97F4A7C15ull + offset;
    return static_cast<uint32_t>((value * 0xD6E8FEB86659FD93ull) >> 32);
}

void HeapAllocator::write_record(uintptr_t address, uint32_t magic, uint32_t size, uint32_t offset) const
{
    *reinterpret_cast<BlockRecord*>(address) = { magic, size, offset, seal(address, magic, size, offset) };
}

bool HeapAllocator::record_is(uintptr_t address, uint32_t magic) const
{
    const auto& record = *reinterpret_cast<const BlockRecord*>(address);
    return record.magic == magic && record.check == seal(address, magic, record.size, record.offset);
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
        page(i)
            = PageDescriptor { PageKind::Free, 0, false, false, 0, head, kNone, kNone, 0, 0, 0, { 0, 0 } };
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

lib::Result<uint32_t, HeapError> HeapAllocator::take_span(uint32_t pages)
{
    uint32_t head = find_free_span(pages);
    if (head == kNone) {
        TRY(grow(pages));
        head = find_free_span(pages);
    }
    uint32_t span = page(head).span_pages;
    uint32_t mapped = page(head).mapped_pages;

    // Pages that stayed mapped while free must still be poison.
    uint32_t already_mapped = 0;
    for (uint32_t i = head; i < head + pages; ++i) {
        if (!page(i).mapped)
            continue;
        ++already_mapped;
        TRY(check_poison(page_address(i), kHeapPageSize, page_address(i)));
    }
    uint32_t newly_mapped = 0;
    TRY(map_span_pages(head, pages, newly_mapped));

    remove_free_span(head);
    if (span > pages)
        insert_free_span(head + pages, span - pages, mapped - already_mapped);
    for (uint32_t i = head; i < head + pages; ++i)
        page(i).freed_header_here = false;
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

void HeapAllocator::release_pages(uint32_t head)
{
    PageDescriptor& first = page(head);
    // Free memory kept mapped is reused without touching the page tables;
    // beyond 2 MiB of it (and never below the initial size) it goes back.
    uint64_t free_mapped = m_statistics.pages_held - m_statistics.pages_in_use;
    if (first.mapped_pages < kHeapReleaseMinPages
        || free_mapped <= kHeapRetainFreePages + kHeapReleaseBatchPages
        || m_statistics.pages_held <= m_layout.initial_pages)
        return;
    uint64_t budget = m_statistics.pages_held - m_layout.initial_pages;
    if (free_mapped - kHeapRetainFreePages < budget)
        budget = free_mapped - kHeapRetainFreePages;
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
            page(j).mapped = false;
        first.mapped_pages -= count;
        budget -= count;
        m_statistics.pages_held -= count;
        m_statistics.pages_given_back += count;
    }
    m_statistics.bytes_held = m_statistics.pages_held * kHeapPageSize;
}

// ---- Slabs ---------------------------------------------------------------

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
    uint32_t pages = kClasses.pages[size_class];
    uint32_t head = TRY(take_span(pages));
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
    for (uint32_t block = 0; block < kClasses.blocks[size_class]; ++block)
        write_record(base + uintptr_t(block) * kClasses.stride[size_class], kFreedMagic, 0, kNeverUsed);
    push_partial(size_class, head);
    return head;
}

lib::Result<uintptr_t, HeapError> HeapAllocator::take_slab_block(uint8_t size_class)
{
    uint32_t slab = m_partial[size_class];
    if (slab == kNone) {
        slab = TRY(new_slab(size_class));
    }
    PageDescriptor& first = page(slab);
    uint32_t blocks = kClasses.blocks[size_class];
    uint32_t index = kNone;
    for (uint32_t word = 0; word < 2 && index == kNone; ++word) {
        uint64_t free_bits = ~first.live[word];
        if (blocks < (word + 1) * 64)
            free_bits &= (1ull << (blocks - word * 64)) - 1; // blocks - word*64 < 64 here
        if (free_bits != 0)
            index = word * 64 + static_cast<uint32_t>(__builtin_ctzll(free_bits));
    }
    uint16_t stride = kClasses.stride[size_class];
    uintptr_t block = page_address(slab) + uintptr_t(index) * stride;

    // The block must be exactly as free() left it.
    if (!record_is(block, kFreedMagic))
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
    uint32_t pages = kClasses.pages[size_class];
    fill_poison(page_address(slab), size_t(pages) * kHeapPageSize);
    give_span(slab, pages);
}

// ---- Blocks ------------------------------------------------------------

lib::Result<void, HeapError> HeapAllocator::check_poison(
    uintptr_t start, size_t length, uintptr_t block) const
{
    const auto* words = reinterpret_cast<const uint64_t*>(start);
    size_t i = first_unpoisoned_word(words, length / 8);
    if (i == length / 8)
        return {};
    const auto* bytes = reinterpret_cast<const uint8_t*>(&words[i]);
    size_t byte = 0;
    while (bytes[byte] == kHeapPoisonByte)
        ++byte;
    return heap_error(HeapErrorKind::UseAfterFree, block, start + i * 8 + byte - block,
        "a byte of freed memory no longer holds the poison pattern");
}

uintptr_t HeapAllocator::place(uintptr_t block, size_t size, size_t alignment, uint32_t& offset) const
{
    uintptr_t pointer = (block + kHeapHeaderSize + alignment - 1) & ~(uintptr_t(alignment) - 1);
    offset = static_cast<uint32_t>(pointer - kHeapHeaderSize - block);
    if (offset != 0)
        write_record(block, kPadMagic, 0, offset);
    write_record(pointer - kHeapHeaderSize, kLiveMagic, static_cast<uint32_t>(size), offset);
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
        uint8_t size_class = kClasses.by_granule[(needed + 15) / 16];
        block = TRY(take_slab_block(size_class));
        length = kClasses.stride[size_class];
    } else {
        auto pages = static_cast<uint32_t>((needed + kHeapPageSize - 1) / kHeapPageSize);
        uint32_t head = TRY(take_span(pages));
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
        if (block_index >= kClasses.blocks[size_class])
            return heap_error(
                HeapErrorKind::ForeignPointer, pointer, 0, "it points into a slab's unused tail");
        bool live = (page(slab).live[block_index / 64] >> (block_index % 64)) & 1;
        return BlockLocation { base + uintptr_t(block_index) * kClasses.stride[size_class],
            kClasses.stride[size_class], slab, block_index, live };
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
    const BlockLocation where = TRY(locate(header));
    const auto& block_record = *reinterpret_cast<const BlockRecord*>(where.block);

    if (!where.live) {
        if (record_is(where.block, kFreedMagic) && block_record.offset == header - where.block)
            return heap_error(
                HeapErrorKind::DoubleFree, pointer, block_record.size, "the block was already freed");
        return heap_error(HeapErrorKind::ForeignPointer, pointer, 0, "it points into a free block");
    }
    uint32_t offset = record_is(where.block, kPadMagic) ? block_record.offset : 0;
    if (header - where.block != offset)
        return heap_error(HeapErrorKind::ForeignPointer, pointer, header - where.block,
            "it points inside a live block, not where the block's header is");
    const auto& live_header = *reinterpret_cast<const BlockRecord*>(header);
    if (!record_is(header, kLiveMagic) || live_header.offset != offset)
        return heap_error(HeapErrorKind::HeaderOverwritten, pointer, live_header.magic,
            "magic or check value does not match");
    uint32_t size = live_header.size;

    if (where.slab != kNone) {
        PageDescriptor& slab = page(where.slab);
        uint8_t size_class = slab.size_class;
        fill_poison(where.block, where.length);
        write_record(where.block, kFreedMagic, size, offset);
        slab.live[where.index / 64] &= ~(1ull << (where.index % 64));
        bool was_full = slab.live_blocks == kClasses.blocks[size_class];
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

// ---- Audit -------------------------------------------------------------

lib::Result<void, HeapError> HeapAllocator::audit_slab(
    uint32_t head, uint64_t& bytes, uint64_t& block_bytes, uint64_t& live) const
{
    const PageDescriptor& first = page(head);
    uint8_t size_class = first.size_class;
    uint32_t blocks = kClasses.blocks[size_class];
    uint16_t stride = kClasses.stride[size_class];
    uint32_t counted = 0;
    for (uint32_t i = 0; i < blocks; ++i) {
        uintptr_t block = page_address(head) + uintptr_t(i) * stride;
        const auto& record = *reinterpret_cast<const BlockRecord*>(block);
        if ((first.live[i / 64] >> (i % 64)) & 1) {
            ++counted;
            uint32_t offset = record_is(block, kPadMagic) ? record.offset : 0;
            uintptr_t header = block + offset;
            if (offset >= stride || !record_is(header, kLiveMagic))
                return heap_error(HeapErrorKind::HeaderOverwritten, header + kHeapHeaderSize, 0,
                    "audit: a live block's header is damaged");
            bytes += reinterpret_cast<const BlockRecord*>(header)->size;
            block_bytes += stride;
            ++live;
        } else {
            if (!record_is(block, kFreedMagic))
                return heap_error(
                    HeapErrorKind::UseAfterFree, block, 0, "audit: a freed block's record was overwritten");
            TRY(check_poison(block + kHeapHeaderSize, stride - kHeapHeaderSize, block));
        }
    }
    if (counted != first.live_blocks
        || lib::popcount64(first.live[0]) + lib::popcount64(first.live[1]) != counted)
        return heap_error(
            HeapErrorKind::Corrupted, page_address(head), counted, "audit: slab's live count is wrong");
    return {};
}

lib::Result<void, HeapError> HeapAllocator::audit() const
{
    uint64_t bytes = 0, block_bytes = 0, live = 0, mapped = 0, free_spans = 0, partial_slabs = 0, used = 0;
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
                if (page(i).kind != PageKind::Free)
                    return heap_error(
                        HeapErrorKind::Corrupted, page_address(i), 0, "audit: page in a free span");
                if (!page(i).mapped)
                    continue;
                ++span_mapped;
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
                    || page(i).size_class != first.size_class)
                    return heap_error(HeapErrorKind::Corrupted, page_address(i), 0, "audit: page in a slab");
            }
            if (pages != kClasses.pages[first.size_class])
                return heap_error(HeapErrorKind::Corrupted, address, pages, "audit: slab length");
            TRY(audit_slab(head, bytes, block_bytes, live));
            if (first.live_blocks < kClasses.blocks[first.size_class])
                ++partial_slabs;
            used += pages;
            break;
        }
        case PageKind::Large: {
            for (uint32_t i = head; i < head + pages; ++i) {
                PageKind expected = i == head ? PageKind::Large : PageKind::LargeInterior;
                if (page(i).kind != expected || page(i).head != head || !page(i).mapped)
                    return heap_error(
                        HeapErrorKind::Corrupted, page_address(i), 0, "audit: page in a large block");
            }
            const auto& record = *reinterpret_cast<const BlockRecord*>(address);
            uint32_t offset = record_is(address, kPadMagic) ? record.offset : 0;
            if (uint64_t(offset) >= uint64_t(pages) * kHeapPageSize
                || !record_is(address + offset, kLiveMagic))
                return heap_error(HeapErrorKind::HeaderOverwritten, address + offset + kHeapHeaderSize, 0,
                    "audit: a large block's header is damaged");
            bytes += reinterpret_cast<const BlockRecord*>(address + offset)->size;
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
    for (size_t c = 0; c < kClassCount; ++c) {
        for (uint32_t slab = m_partial[c]; slab != kNone; slab = page(slab).next) {
            if (slab >= m_extent || page(slab).kind != PageKind::Slab || page(slab).size_class != c
                || page(slab).live_blocks >= kClasses.blocks[c] || ++listed > partial_slabs)
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
        || stats.pages_held < m_layout.initial_pages)
        return heap_error(HeapErrorKind::Corrupted, 0, bytes, "audit: statistics disagree with the blocks");
    return {};
}

} // namespace mm
