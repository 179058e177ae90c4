#include "lib/symbol_table.h"

namespace lib {

namespace {

constexpr StringView kTruncationMark = "...";

} // namespace

void SymbolName::append(char character)
{
    if (m_truncated)
        return;
    if (m_length + kTruncationMark.size() < kCapacity) {
        m_text[m_length++] = character;
        return;
    }
    for (char mark : kTruncationMark)
        m_text[m_length++] = mark;
    m_truncated = true;
}

SymbolLocation SymbolTable::find(uint64_t address) const
{
    if (address < m_base)
        return {};
    // Binary search for the first entry above address.
    size_t low = 0;
    size_t high = m_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (m_base + m_entries[middle].address_offset <= address)
            low = middle + 1;
        else
            high = middle;
    }
    if (low == 0)
        return {};
    const SymbolEntry& entry = m_entries[low - 1];
    uint64_t offset = address - (m_base + entry.address_offset);
    if (entry.size != 0 && offset >= entry.size)
        return {};
    return { low - 1, offset, true };
}

SymbolName SymbolTable::name_of(const SymbolLocation& location) const
{
    SymbolName name;
    if (!location.found || location.index >= m_count)
        return name;
    // Depth-first expansion on an explicit stack: each token pushes its two
    // bytes, second first. A well-formed table never holds more than one
    // byte per code level plus one.
    uint8_t pending[kSymbolTokenCount + 2];
    for (const char* next = m_names + m_entries[location.index].name_offset;
         *next != '\0' && !name.truncated(); ++next) {
        size_t depth = 0;
        pending[depth++] = static_cast<uint8_t>(*next);
        while (depth > 0 && !name.truncated()) {
            uint8_t byte = pending[--depth];
            if (byte < kFirstSymbolCode) {
                name.append(static_cast<char>(byte));
                continue;
            }
            const SymbolToken& token = m_tokens[byte - kFirstSymbolCode];
            bool lower = (token.first < byte && token.second < byte) && token.first != 0 && token.second != 0;
            if (!lower || depth + 2 > sizeof(pending)) {
                name.append('?');
                continue;
            }
            pending[depth++] = token.second;
            pending[depth++] = token.first;
        }
    }
    return name;
}

} // namespace lib
