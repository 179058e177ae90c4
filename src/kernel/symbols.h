#pragma once

// The kernel's own symbol table, linked into the image at build time.

#include "lib/symbol_table.h"

namespace kernel {

const lib::SymbolTable& kernel_symbols();

} // namespace kernel
