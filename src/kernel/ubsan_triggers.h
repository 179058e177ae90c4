#pragma once

// One function for each kind of undefined behaviour the kernel's UBSan
// catches, for fault injection (fault=ubsan-<kind>). Each reads its
// operands through volatiles, so the compiler cannot fold the UB away.

namespace kernel {

void ubsan_signed_overflow();
void ubsan_shift_out_of_bounds();
void ubsan_misaligned_access();
void ubsan_index_out_of_bounds();
void ubsan_null_dereference();
void ubsan_unreachable();
void ubsan_invalid_bool();
void ubsan_division_by_zero();

} // namespace kernel
