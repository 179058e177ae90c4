#pragma once

// Pages for mm::HeapAllocator on the host: one mmap reservation, and one of
// three page sources behind map and unmap.
//   Guarded (the unit tests): no access until the heap maps a page run,
//     released and made inaccessible again when it gives them back, so a
//     test that touches memory the heap returned crashes instead of passing
//     by luck.
//   Released (the benchmark's "return" regime): all readable and writable,
//     no mprotect (in the kernel mapping a page is a frame and a page-table
//     write, not a Linux call that splits VMAs), but unmap really gives the
//     pages back to Linux (MADV_DONTNEED), and the next touch faults in a
//     zeroed page: what glibc's trimming does to its heap top.
//   Kept (the benchmark's "retain" regime): all readable and writable, map
//     and unmap only counted; pages the heap gives back stay resident, as
//     glibc's do with trimming off.

#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "mm/heap_allocator.h"

class HostHeapBacking final : public mm::HeapBacking {
public:
    enum class PageSource { Guarded, Released, Kept };

    // arena_pages of arena, with a page limit that map() refuses to pass.
    explicit HostHeapBacking(
        size_t arena_pages, size_t page_limit = SIZE_MAX, PageSource source = PageSource::Guarded)
        : m_arena_pages(arena_pages)
        , m_metadata_bytes(mm::HeapAllocator::metadata_bytes(arena_pages))
        , m_page_limit(page_limit)
        , m_source(source)
    {
        m_size = arena_pages * mm::kHeapPageSize + m_metadata_bytes;
        int access = source == PageSource::Guarded ? PROT_NONE : PROT_READ | PROT_WRITE;
        void* base = mmap(nullptr, m_size, access, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (base == MAP_FAILED) {
            std::perror("mmap");
            std::abort();
        }
        m_base = reinterpret_cast<uintptr_t>(base);
    }
    ~HostHeapBacking() { munmap(reinterpret_cast<void*>(m_base), m_size); }
    HostHeapBacking(const HostHeapBacking&) = delete;
    HostHeapBacking& operator=(const HostHeapBacking&) = delete;

    mm::HeapLayout layout(size_t initial_pages, uint64_t secret = 0x5EC2E7) const
    {
        return { m_base + m_metadata_bytes, m_arena_pages, m_base, initial_pages, secret };
    }

    bool map(uintptr_t address, size_t count) override
    {
        if (m_mapped + count > m_page_limit)
            return false;
        check_inside(address, count);
        if (m_source == PageSource::Guarded
            && mprotect(reinterpret_cast<void*>(address), count * mm::kHeapPageSize, PROT_READ | PROT_WRITE)
                != 0)
            std::abort();
        m_mapped += count;
        ++m_map_calls;
        return true;
    }

    void unmap(uintptr_t address, size_t count) override
    {
        check_inside(address, count);
        void* start = reinterpret_cast<void*>(address);
        if (m_source != PageSource::Kept && madvise(start, count * mm::kHeapPageSize, MADV_DONTNEED) != 0)
            std::abort();
        if (m_source == PageSource::Guarded && mprotect(start, count * mm::kHeapPageSize, PROT_NONE) != 0)
            std::abort();
        m_mapped -= count;
        m_last_unmapped = address;
    }

    size_t mapped_pages() const { return m_mapped; } // arena and metadata
    size_t map_calls() const { return m_map_calls; }
    uintptr_t last_unmapped() const { return m_last_unmapped; } // 0 if none yet
    void set_page_limit(size_t limit) { m_page_limit = limit; }

private:
    void check_inside(uintptr_t address, size_t count) const
    {
        if (address % mm::kHeapPageSize != 0 || address < m_base
            || address + count * mm::kHeapPageSize > m_base + m_size) {
            std::fprintf(stderr, "heap backing: pages %#lx+%zu outside the reservation\n", address, count);
            std::abort();
        }
    }

    size_t m_arena_pages;
    size_t m_metadata_bytes;
    size_t m_page_limit;
    PageSource m_source;
    uintptr_t m_base = 0;
    size_t m_size = 0;
    size_t m_mapped = 0;
    size_t m_map_calls = 0;
    uintptr_t m_last_unmapped = 0;
};
