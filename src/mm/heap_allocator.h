#pragma once

// The kernel heap's allocator: pure logic over a reserved virtual range, so
// the same code runs in the kernel (pages from the frame allocator) and in
// the host tests and benchmarks (pages from mmap).
//
// Layout. The arena is a run of 4 KiB pages; each has a PageDescriptor in a
// separate metadata array, mapped as the arena's extent grows. Pages form
// spans: free spans (kept in bins by length, coalesced with free
// neighbours), slabs (a few pages cut into blocks of one size class) and
// large blocks (a span of their own). Sizes up to kMaxSlabStride - 16 come
// from slabs; larger ones, and alignments above a page, are page-backed.
//
// Every block starts with a 16-byte record: the header right before
// the caller's pointer, or, when alignment pushed the pointer further in, a
// pad record that says where the header is. Headers carry a check value
// mixed with a secret, so an overwritten header is told apart from a
// pointer the heap never returned.
//
// Poison. Free memory holds a poison pattern, checked when it is handed out
// again: a write after free is caught on reuse. A freed slab block is
// poisoned in the 48 bytes after its record (all of it, for blocks of up to
// 48 bytes; heap_block_checks.h says why no more) and keeps a record of its
// last owner; a freed large block and the free pages it leaves are poisoned
// whole. A retired slab's pages are not filled: only their blocks' prefixes
// were poison, and the page descriptors say which free pages are
// (PageDescriptor::poisoned). So a slab's blocks are checked as it retires,
// as their reuse would check them, and a write after free into a block of
// a slab already retired is not caught (a fill of its pages and a check on
// their reuse would catch it, at a write and a read of every byte).
//
// Fast path. allocate() and free() handle a slab block at 16 bytes'
// alignment inline (heap_slab_blocks.h) and send everything else, misuse
// included, to allocate_slowly() and free_slowly(), which check from
// scratch.
//
// Giving back: up to 2 MiB of free memory (free pages and empty slabs,
// which stay slabs of their class for reuse) stays mapped. When a free span
// of 16 pages or more forms while 1 MiB more than that is free, its pages
// are unmapped (their frames go back) down to the 2 MiB, never taking the
// heap below its initial size.
//
// The allocator does not lock; the kernel wraps it in a spinlock.
//
// One concept a file: heap_size_classes.h (size classes: pure arithmetic),
// heap_block_checks.h/.cpp (sealed block records and poison),
// heap_pages.h (the page descriptors), heap_span_bins.cpp (free spans in
// bins: take, give, coalesce), heap_page_mapping.cpp (growing the arena,
// mapping pages, giving them back), heap_slabs.cpp (slabs of one size
// class: made, listed, retired), heap_slab_blocks.h (a slab block taken and
// given back: the fast path), heap_allocator.cpp (allocate and free, large blocks, locating a
// pointer's block) and heap_audit.cpp (the consistency walk).

#include <stddef.h>
#include <stdint.h>

#include "arch/page_size.h"
#include "lib/result.h"

namespace mm {

inline constexpr size_t kHeapPageSize = arch::kPageSize;
inline constexpr size_t kHeapHeaderSize = 16;
inline constexpr size_t kMaxSlabStride = kHeapPageSize + kHeapHeaderSize;
inline constexpr size_t kMaxHeapAlignment = size_t(2) << 20;
inline constexpr uint8_t kHeapPoisonByte = 0xDB;
// Giving pages back (see above): spans this long...
inline constexpr uint32_t kHeapReleaseMinPages = 16;
// ...once this much free memory stays mapped...
inline constexpr uint64_t kHeapRetainFreePages = 512;
// ...plus this much more, so that releases come in batches.
inline constexpr uint64_t kHeapReleaseBatchPages = 256;

// Where the heap's pages come from.
class HeapBacking {
public:
    // Makes count pages at address readable and writable (contents are
    // arbitrary); false when there is no memory left, with nothing mapped.
    virtual bool map(uintptr_t address, size_t count) = 0;
    virtual void unmap(uintptr_t address, size_t count) = 0;

protected:
    ~HeapBacking() = default;
};

struct HeapLayout {
    uintptr_t arena; // page-aligned
    size_t arena_pages; // reserved for the arena
    uintptr_t metadata; // page-aligned, metadata_bytes(arena_pages) reserved
    size_t initial_pages; // mapped at init; the heap never holds fewer
    uint64_t secret; // mixed into header checks
};

enum class HeapErrorKind : uint8_t {
    OutOfMemory,
    BadAlignment, // not a power of two, or above kMaxHeapAlignment
    TooLarge, // more than the arena could ever hold
    DoubleFree,
    ForeignPointer, // freed, but never returned by this heap
    HeaderOverwritten, // a live block's header (or pad record) was changed
    UseAfterFree, // free memory was written after it was freed
    Corrupted, // metadata disagrees with itself (found by audit)
};
const char* describe(HeapErrorKind kind);

struct HeapError {
    HeapErrorKind kind;
    uintptr_t address; // the pointer, or the block where damage was found
    uint64_t detail; // byte offset of the damage, a size, or the reason code
    const char* reason; // one phrase saying what exactly was seen
};

struct HeapStatistics {
    uint64_t bytes_in_use; // requested bytes of live allocations
    uint64_t block_bytes_in_use; // bytes of the blocks and spans holding them
    uint64_t peak_bytes_in_use;
    uint64_t pages_held; // arena pages mapped
    uint64_t pages_in_use; // pages of slabs (empty ones kept included) and large blocks
    uint64_t bytes_held; // pages_held * kHeapPageSize
    uint64_t metadata_pages;
    uint64_t allocations;
    uint64_t frees;
    uint64_t live_allocations;
    uint64_t pages_given_back; // unmapped over the heap's life
};

class HeapAllocator {
public:
    static size_t metadata_bytes(size_t arena_pages);

    lib::Result<void, HeapError> init(const HeapLayout& layout, HeapBacking& backing);

    // alignment: a power of two (values below 16 mean 16). Never returns
    // nullptr as a value.
    lib::Result<void*, HeapError> allocate(size_t size, size_t alignment);
    // nullptr is accepted and ignored, as free(NULL) is.
    lib::Result<void, HeapError> free(void* pointer);

    // Walks every span, block and list and checks they agree with each
    // other and with the statistics, and that free memory is still poison
    // where the heap put poison.
    lib::Result<void, HeapError> audit() const;

    const HeapStatistics& statistics() const { return m_statistics; }
    uintptr_t arena_start() const { return m_layout.arena; }
    bool contains(const void* pointer) const;

private:
    struct PageDescriptor; // heap_pages.h
    struct BlockLocation;

    static constexpr uint32_t kNone = 0xFFFFFFFF;
    static constexpr size_t kBinCount = 64;

    PageDescriptor& page(uint32_t index) const; // heap_pages.h
    uintptr_t page_address(uint32_t index) const { return m_layout.arena + uintptr_t(index) * kHeapPageSize; }

    // Free spans in bins by length, and the doubly linked lists of spans
    // (bins, partial slabs) (heap_span_bins.cpp).
    void list_push(uint32_t& list, uint32_t head);
    void list_remove(uint32_t& list, uint32_t head);
    lib::Result<uint32_t, HeapError> take_span(uint32_t pages);
    lib::Result<uint32_t, HeapError> take_span_once(uint32_t pages);
    void give_span(uint32_t head, uint32_t pages);
    void insert_free_span(uint32_t head, uint32_t pages, uint32_t mapped);
    void remove_free_span(uint32_t head);
    uint32_t find_free_span(uint32_t pages) const;
    static size_t bin_of(uint32_t pages);

    // The arena's extent and its pages' mappings (heap_page_mapping.cpp).
    lib::Result<void, HeapError> grow(uint32_t pages);
    lib::Result<void, HeapError> map_span_pages(uint32_t head, uint32_t pages, uint32_t& newly_mapped);
    void release_pages(uint32_t head);

    // Slabs (heap_slabs.cpp).
    lib::Result<uint32_t, HeapError> new_slab(uint8_t size_class);
    void push_partial(uint8_t size_class, uint32_t slab);
    void remove_partial(uint8_t size_class, uint32_t slab);
    // Handing out and taking back a slab block: the fast path
    // (heap_slab_blocks.h).
    static uint32_t first_free_block(const PageDescriptor& slab);
    bool block_is_as_freed(uintptr_t block, uint16_t stride) const;
    void mark_taken(uint32_t slab, uint8_t size_class, uint32_t index);
    uintptr_t try_take_slab_block(uint8_t size_class);
    lib::Result<uintptr_t, HeapError> take_slab_block(uint8_t size_class);
    BlockLocation slab_block_at(uintptr_t header, const PageDescriptor& descriptor) const;
    lib::Failure<HeapError> damage_in_freed_block(uintptr_t block, uint16_t stride) const;
    lib::Result<void, HeapError> free_slab_block(const BlockLocation& where, uintptr_t header, uint32_t size);
    lib::Result<void, HeapError> retire_slab(uint8_t size_class, uint32_t slab);
    lib::Result<void, HeapError> retire_empty_slabs(); // when pages run out
    // Free memory the heap holds: mapped free pages and empty slabs.
    uint64_t free_pages_kept() const
    {
        return m_statistics.pages_held - m_statistics.pages_in_use + m_empty_slab_pages;
    }

    // Blocks: where a pointer's block is, where a pointer goes in a block
    // (heap_allocator.cpp).
    lib::Result<void, HeapError> locate(uintptr_t header, BlockLocation& where) const;
    uintptr_t place(uintptr_t block, size_t size, size_t alignment, uint32_t& offset) const;
    void count_allocation(size_t size, size_t length);
    void count_free(size_t size, size_t length);
    // Everything allocate() and free() do not do on their fast paths.
    [[gnu::noinline]] lib::Result<void*, HeapError> allocate_slowly(size_t size, size_t alignment);
    [[gnu::noinline]] lib::Result<void, HeapError> free_slowly(void* pointer);

    // The audit (heap_audit.cpp).
    lib::Result<void, HeapError> audit_slab(
        uint32_t head, uint64_t& bytes, uint64_t& blocks, uint64_t& live) const;

    HeapLayout m_layout {};
    HeapBacking* m_backing = nullptr;
    uint32_t m_extent = 0; // pages in use of the reservation (free or not)
    uint32_t m_metadata_pages = 0;
    uint64_t m_nonempty_bins = 0;
    uint32_t m_bins[kBinCount] {};
    uint32_t m_partial[32] {}; // per size class: slabs with a free block
    uint64_t m_empty_slab_pages = 0; // pages of slabs with no live block (on their partial lists)
    HeapStatistics m_statistics {};
};

} // namespace mm
