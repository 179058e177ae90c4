#include "boot/memory_map.h"

#include "arch/page_size.h"
#include "lib/insertion_sort.h"

namespace boot {
namespace {

using arch::kPageSize;
constexpr uint64_t kTopOfMemory = ~uint64_t(0);

// Where regions claim the same bytes, the one that forbids more wins:
// memory any entry calls defective or reserved is never handed out.
int strictness(MemoryType type)
{
    switch (type) {
    case MemoryType::Usable:
        return 0;
    case MemoryType::AcpiReclaimable:
        return 1;
    case MemoryType::AcpiNvs:
        return 2;
    case MemoryType::Reserved:
        return 3;
    case MemoryType::Defective:
        return 4;
    }
    return 3;
}

// Region ends are exclusive except at the top of memory, where [base, end)
// cannot be written; there the end is kTopOfMemory and includes that byte.
uint64_t end_of(const MemoryRegion& region, MemoryMapRepairs& repairs)
{
    if (region.length > kTopOfMemory - region.base) {
        ++repairs.wrapped;
        return kTopOfMemory;
    }
    return region.base + region.length;
}

} // namespace

const char* memory_type_name(MemoryType type)
{
    switch (type) {
    case MemoryType::Usable:
        return "usable";
    case MemoryType::Reserved:
        return "reserved";
    case MemoryType::AcpiReclaimable:
        return "ACPI reclaimable";
    case MemoryType::AcpiNvs:
        return "ACPI NVS";
    case MemoryType::Defective:
        return "defective";
    }
    return "reserved";
}

size_t normalize_memory_map(
    const MemoryRegion* in, size_t count, MemoryRegion* out, size_t capacity, MemoryMapRepairs& repairs)
{
    // Every region boundary, sorted: between two neighbours, the set of
    // covering regions is constant. 256 regions at most come in (two
    // boundaries each).
    constexpr size_t kMaxRegions = 256;
    uint64_t boundaries[2 * kMaxRegions];
    uint64_t ends[kMaxRegions];
    if (count > kMaxRegions)
        count = kMaxRegions;
    size_t boundary_count = 0;
    for (size_t i = 0; i < count; ++i) {
        ends[i] = 0;
        if (in[i].length == 0) {
            ++repairs.zero_length;
            continue;
        }
        ends[i] = end_of(in[i], repairs);
        boundaries[boundary_count++] = in[i].base;
        boundaries[boundary_count++] = ends[i];
    }
    lib::insertion_sort(boundaries, boundary_count);

    size_t written = 0;
    for (size_t b = 0; b + 1 < boundary_count; ++b) {
        uint64_t start = boundaries[b];
        uint64_t end = boundaries[b + 1];
        if (start == end)
            continue;
        int covering = 0;
        MemoryType type = MemoryType::Usable;
        for (size_t i = 0; i < count; ++i) {
            if (in[i].length == 0 || in[i].base > start || ends[i] < end)
                continue;
            if (covering == 0 || strictness(in[i].type) > strictness(type))
                type = in[i].type;
            ++covering;
        }
        if (covering == 0)
            continue; // a hole between regions
        if (covering > 1)
            ++repairs.overlaps;
        // Extend the previous region when it is the same type and touches.
        if (written > 0 && out[written - 1].type == type
            && out[written - 1].base + out[written - 1].length == start) {
            out[written - 1].length += end - start;
            continue;
        }
        if (written == capacity)
            break;
        out[written++] = { start, end - start, type };
    }

    // Usable memory in whole pages only: trim inwards, drop what is left empty.
    size_t kept = 0;
    for (size_t i = 0; i < written; ++i) {
        MemoryRegion region = out[i];
        if (region.type == MemoryType::Usable) {
            uint64_t end = region.base + region.length;
            uint64_t aligned_base = (region.base + kPageSize - 1) & ~(kPageSize - 1);
            uint64_t aligned_end = end & ~(kPageSize - 1);
            if (aligned_base < region.base) // rounding up wrapped at the top
                aligned_base = aligned_end;
            if (aligned_base != region.base || aligned_end != end) {
                ++repairs.unaligned;
                if (aligned_end <= aligned_base)
                    continue;
                region = { aligned_base, aligned_end - aligned_base, MemoryType::Usable };
            }
        }
        out[kept++] = region;
    }
    return kept;
}

uint64_t MemoryMapView::usable_top() const
{
    uint64_t top = 0;
    for (const MemoryRegion& region : usable_regions()) {
        if (region.base + region.length > top)
            top = region.base + region.length;
    }
    return top;
}

uint64_t MemoryMapView::usable_bytes() const
{
    uint64_t total = 0;
    for (const MemoryRegion& region : usable_regions())
        total += region.length;
    return total;
}

bool MemoryMapView::is_usable(uint64_t start, uint64_t end) const
{
    // The regions are sorted and disjoint: walk the usable ones that cover
    // start, moving start past each, until nothing is left or a gap shows.
    for (const MemoryRegion& region : usable_regions()) {
        if (start >= end)
            break;
        uint64_t region_end = region.base + region.length;
        if (region_end <= start)
            continue;
        if (region.base > start)
            return false;
        start = region_end;
    }
    return start >= end;
}

bool MemoryMapView::overlaps_usable(uint64_t start, uint64_t end) const
{
    for (const MemoryRegion& region : usable_regions()) {
        if (region.base < end && start < region.base + region.length)
            return true;
    }
    return false;
}

bool MemoryMapView::overlaps_type_other_than(MemoryType type, uint64_t start, uint64_t end) const
{
    for (size_t i = 0; i < m_count; ++i) {
        const MemoryRegion& region = m_regions[i];
        if (region.type != type && region.base < end && start < region.base + region.length)
            return true;
    }
    return false;
}

} // namespace boot
