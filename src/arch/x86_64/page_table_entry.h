#pragma once

// x86-64 4-level paging entries (Intel SDM Vol. 3A 4.5, Tables 4-14 to 4-20).

#include <stdint.h>

#include "arch/page_size.h"

namespace arch {

enum class PageFlag : uint64_t {
    Present = 1ull << 0,
    Writable = 1ull << 1,
    User = 1ull << 2,
    WriteThrough = 1ull << 3, // PWT
    CacheDisable = 1ull << 4, // PCD: with PWT, PAT entry 3 = UC (SDM Vol. 3A 11.12.3)
    Huge = 1ull << 7, // in a PDPT or PD entry: maps 1 GiB or 2 MiB directly
    NoExecute = 1ull << 63,
};

constexpr uint64_t flag(PageFlag value)
{
    return static_cast<uint64_t>(value);
}

inline constexpr uint64_t kEntriesPerTable = 512;
// Bits 12..51 of an entry hold the physical address of the next level.
inline constexpr uint64_t kEntryAddressMask = 0x000FFFFFFFFFF000;

struct alignas(kPageSize) PageTable {
    uint64_t entries[kEntriesPerTable];
};
static_assert(sizeof(PageTable) == kPageSize);

// Index of a virtual address in the table at each level (4 = PML4 .. 1 = PT).
constexpr unsigned table_index(uint64_t virtual_address, unsigned level)
{
    return (virtual_address >> (12 + 9 * (level - 1))) & 0x1FF;
}

} // namespace arch
