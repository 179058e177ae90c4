#pragma once

// Mends a firmware memory map into one the kernel can trust: sorted, no
// overlaps, no empty entries, usable memory in whole 4 KiB pages. Real
// firmware (and the tests' hand-made maps) send all of these. Pure logic:
// host-tested.

#include <stddef.h>
#include <stdint.h>

namespace boot {

enum class MemoryType : uint32_t {
    Usable = 1,
    Reserved = 2,
    AcpiReclaimable = 3,
    AcpiNvs = 4,
    Defective = 5,
};

const char* memory_type_name(MemoryType type);

struct MemoryRegion {
    uint64_t base;
    uint64_t length;
    MemoryType type;
};

// What was mended, for the boot log's warnings.
struct MemoryMapRepairs {
    size_t zero_length = 0; // entries dropped
    size_t overlaps = 0; // stretches claimed by more than one entry (the stricter type wins)
    size_t unaligned = 0; // usable regions trimmed to page boundaries
    size_t wrapped = 0; // entries whose end ran past 2^64, cut at the top of memory

    bool any() const { return zero_length + overlaps + unaligned + wrapped != 0; }
};

// Writes the mended map to out (at most capacity regions; 2 * count is
// always enough) and returns how many regions it holds.
size_t normalize_memory_map(
    const MemoryRegion* in, size_t count, MemoryRegion* out, size_t capacity, MemoryMapRepairs& repairs);

// The mended map as the rest of the kernel reads it: which regions are
// usable, how much, and where usable memory ends. A view over regions it
// does not own; is_usable() needs them sorted and disjoint (mended).
class MemoryMapView {
public:
    // Steps over the regions that are not usable.
    class UsableIterator {
    public:
        constexpr UsableIterator(const MemoryRegion* region, const MemoryRegion* end)
            : m_region(region)
            , m_end(end)
        {
            skip_unusable();
        }
        constexpr const MemoryRegion& operator*() const { return *m_region; }
        constexpr UsableIterator& operator++()
        {
            ++m_region;
            skip_unusable();
            return *this;
        }
        constexpr bool operator==(const UsableIterator& other) const { return m_region == other.m_region; }

    private:
        constexpr void skip_unusable()
        {
            while (m_region != m_end && m_region->type != MemoryType::Usable)
                ++m_region;
        }

        const MemoryRegion* m_region;
        const MemoryRegion* m_end;
    };

    struct UsableRegions {
        UsableIterator first;
        UsableIterator last;
        constexpr UsableIterator begin() const { return first; }
        constexpr UsableIterator end() const { return last; }
    };

    constexpr MemoryMapView(const MemoryRegion* regions, size_t count)
        : m_regions(regions)
        , m_count(count)
    {
    }

    constexpr UsableRegions usable_regions() const
    {
        const MemoryRegion* end = m_regions + m_count;
        return { UsableIterator(m_regions, end), UsableIterator(end, end) };
    }
    // One past the last byte of the highest usable region; 0 when none is.
    uint64_t usable_top() const;
    uint64_t usable_bytes() const;
    // Whether every byte of [start, end) lies in usable regions (an empty
    // range does).
    bool is_usable(uint64_t start, uint64_t end) const;
    // Whether any byte of [start, end) lies in a usable region.
    bool overlaps_usable(uint64_t start, uint64_t end) const;
    // Whether any byte of [start, end) lies in a region of another type
    // than type (bytes in no region at all do not count).
    bool overlaps_type_other_than(MemoryType type, uint64_t start, uint64_t end) const;

private:
    const MemoryRegion* m_regions;
    size_t m_count;
};

} // namespace boot
