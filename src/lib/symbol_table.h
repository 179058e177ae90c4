#pragma once

// Address to function name, for backtraces. The table is generated at build
// time from the linked kernel (ci/generate_symbol_table.py): entries sorted
// by address, names in one NUL-separated blob. Pure logic: host-tested.

#include <stddef.h>
#include <stdint.h>

#include "lib/string_view.h"

namespace lib {

struct SymbolEntry {
    uint64_t address;
    uint32_t size; // bytes; 0 when the ELF did not say
    uint32_t name_offset; // into the names blob
};
static_assert(sizeof(SymbolEntry) == 16);

struct SymbolLocation {
    StringView name;
    uint64_t offset = 0; // from the start of the function
    bool found = false;
};

class SymbolTable {
public:
    constexpr SymbolTable(const SymbolEntry* entries, size_t count, const char* names)
        : m_entries(entries)
        , m_count(count)
        , m_names(names)
    {
    }

    // The function containing address: the last entry at or below it, and
    // only within that entry's size when the size is known.
    SymbolLocation find(uint64_t address) const;
    size_t size() const { return m_count; }
    // The entry every find() reads first (its binary search starts in the
    // middle); nullptr for an empty table.
    const SymbolEntry* first_probe() const { return m_count == 0 ? nullptr : &m_entries[m_count / 2]; }

private:
    const SymbolEntry* m_entries;
    size_t m_count;
    const char* m_names;
};

} // namespace lib
