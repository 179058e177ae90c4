#include "kernel/symbols.h"

// Defined by the object ci/generate_symbol_table.py writes (or, in the
// first link stage, by symbol_table_placeholder.cpp).
extern "C" const uint64_t kernel_symbol_base;
extern "C" const lib::SymbolEntry kernel_symbol_entries[];
extern "C" const char kernel_symbol_names[];
extern "C" const lib::SymbolToken kernel_symbol_tokens[lib::kSymbolTokenCount];
extern "C" const size_t kernel_symbol_count;

namespace kernel {

const lib::SymbolTable& kernel_symbols()
{
    static const lib::SymbolTable table(kernel_symbol_base, kernel_symbol_entries, kernel_symbol_count,
        kernel_symbol_names, kernel_symbol_tokens);
    return table;
}

} // namespace kernel
