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

} // namespace boot
