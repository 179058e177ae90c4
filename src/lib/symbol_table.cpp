#include "lib/symbol_table.h"

namespace lib {

SymbolLocation SymbolTable::find(uint64_t address) const
{
    // Binary search for the first entry above address.
    size_t low = 0;
    size_t high = m_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (m_entries[middle].address <= address)
            low = middle + 1;
        else
            high = middle;
    }
    if (low == 0)
        return {};
    const SymbolEntry& entry = m_entries[low - 1];
    uint64_t offset = address - entry.address;
    if (entry.size != 0 && offset >= entry.size)
        return {};
    return { StringView(m_names + entry.name_offset), offset, true };
}

} // namespace lib
