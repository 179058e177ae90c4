#pragma once

// Address to function name, for backtraces. The table is generated at build
// time from the linked kernel (ci/generate_symbol_table.py, as an object
// file whose symbols src/kernel/symbols.cpp declares): entries sorted
// by address, and the names in one blob, each ended by a NUL and compressed
// by byte-pair encoding (as Linux's kallsyms compresses its names): a byte
// below kFirstSymbolCode is itself, a byte at or above it a token of two
// bytes, each a character or a lower code. The release kernel's names take
// 15 KiB so instead of 40. Pure logic: host-tested.

#include <stddef.h>
#include <stdint.h>

#include "lib/string_view.h"

namespace lib {

struct SymbolEntry {
    uint32_t address_offset; // from the table's base address
    uint16_t size; // bytes; 0 when the ELF did not say, or for 64 KiB or more
    uint16_t name_offset; // into the names blob (the generator refuses a larger one)
};
// The generator writes these layouts byte by byte (SYMBOL_ENTRY and the
// token pairs in ci/generate_symbol_table.py): they must not move.
static_assert(sizeof(SymbolEntry) == 8 && alignof(SymbolEntry) == 4);
static_assert(offsetof(SymbolEntry, address_offset) == 0 && offsetof(SymbolEntry, size) == 4
    && offsetof(SymbolEntry, name_offset) == 6);

constexpr uint8_t kFirstSymbolCode = 0x80;
constexpr size_t kSymbolTokenCount = 0x100 - kFirstSymbolCode;

// What code kFirstSymbolCode + i stands for: two bytes, each a character or
// a code below kFirstSymbolCode + i (so expansion always ends).
struct SymbolToken {
    uint8_t first;
    uint8_t second;
};
static_assert(sizeof(SymbolToken) == 2 && alignof(SymbolToken) == 1);

struct SymbolLocation {
    size_t index = 0; // of the entry, for SymbolTable::name_of
    uint64_t offset = 0; // from the start of the function
    bool found = false;
};

// A function's name, expanded. Longer names (the kernel's longest is about
// 330 characters) end in "...".
class SymbolName {
public:
    static constexpr size_t kCapacity = 400;

    StringView view() const { return { m_text, m_length }; }
    bool truncated() const { return m_truncated; }

private:
    friend class SymbolTable;
    void append(char character);

    char m_text[kCapacity];
    size_t m_length = 0;
    bool m_truncated = false;
};

class SymbolTable {
public:
    constexpr SymbolTable(
        uint64_t base, const SymbolEntry* entries, size_t count, const char* names, const SymbolToken* tokens)
        : m_base(base)
        , m_entries(entries)
        , m_count(count)
        , m_names(names)
        , m_tokens(tokens)
    {
    }

    // The function containing address: the last entry at or below it, and
    // only within that entry's size when the size is known.
    SymbolLocation find(uint64_t address) const;
    // The name of the function find() found; empty when it found none. A
    // malformed token (one that refers to itself or a higher code) expands
    // to '?' instead of looping.
    SymbolName name_of(const SymbolLocation& location) const;
    size_t size() const { return m_count; }
    // The entry every find() reads first (its binary search starts in the
    // middle); nullptr for an empty table.
    const SymbolEntry* first_probe() const { return m_count == 0 ? nullptr : &m_entries[m_count / 2]; }

private:
    uint64_t m_base;
    const SymbolEntry* m_entries;
    size_t m_count;
    const char* m_names;
    const SymbolToken* m_tokens;
};

} // namespace lib
