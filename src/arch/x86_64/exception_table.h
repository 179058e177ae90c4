#pragma once

// The exception table: pairs of (instruction that may fault, where to
// resume if it does), collected by the linker from every
// `.pushsection .exception_table` in the kernel (linker/kernel.ld).

#include <stdint.h>

namespace arch {

struct ExceptionTableEntry {
    uint64_t faulting_instruction;
    uint64_t resume_at;
};
static_assert(sizeof(ExceptionTableEntry) == 16);

// Where to resume after a fault at rip, or 0 when rip is not in the table.
// Counts the recoveries it hands out.
uint64_t exception_fixup(uint64_t rip);

} // namespace arch
