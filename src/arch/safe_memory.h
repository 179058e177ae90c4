#pragma once

// Reading memory that may not be there, without crashing: the access is
// listed in an exception table, and a #PF or #GP at it makes the exception
// handler resume after it with an error instead of reporting a fault (the
// way Linux's copy_from_kernel_nofault works). For debugging paths that
// follow pointers they cannot trust: backtraces, fault reports, inspection.

#include <stddef.h>
#include <stdint.h>

namespace arch {

// False when [address, address + 8) cannot be read.
bool read_word_nofault(uint64_t address, uint64_t& value);

// Copies bytes one word or byte at a time; false at the first that cannot
// be read (destination is then partly written).
bool copy_from_kernel_nofault(void* destination, uint64_t source, size_t bytes);

// Faults the exception table turned into errors since boot.
uint64_t recovered_faults();

} // namespace arch
