// The symbol table of the first link stage: empty, in the same section as
// the real one (ci/generate_symbol_table.py), so that every function keeps
// its address when the real table replaces this one.

#include "lib/symbol_table.h"

extern "C" {
[[gnu::section(".kernel_symbols")]] extern const uint64_t kernel_symbol_base = 0;
[[gnu::section(".kernel_symbols")]] extern const lib::SymbolEntry kernel_symbol_entries[1] = {};
[[gnu::section(".kernel_symbols")]] extern const char kernel_symbol_names[1] = "";
[[gnu::section(".kernel_symbols")]] extern const lib::SymbolToken kernel_symbol_tokens[lib::kSymbolTokenCount]
    = {};
[[gnu::section(".kernel_symbols")]] extern const size_t kernel_symbol_count = 0;
}
