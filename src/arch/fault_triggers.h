#pragma once

// Each function makes the CPU raise one kind of fault, for fault injection
// (each registered as a fault kind beside it, kernel/fault_kind.h) and for
// the kernel tests. Each is a function of its own, never inlined, so a
// report's RIP names exactly the function that faulted.

#include <stdint.h>

namespace arch {

// Addresses the triggers touch, for the tests' expectations.
inline constexpr uint64_t kUnmappedAddress = 0x0000100000000000; // PML4 slot 32: never mapped
inline constexpr uint64_t kNonCanonicalAddress = 0x8000000000000000; // bits 63:47 differ

void trigger_divide_by_zero();
void trigger_invalid_opcode();
void trigger_invalid_opcode_with_corrupt_frame_pointer(); // RBP unmapped: the backtrace must stop cleanly
void trigger_breakpoint(); // returns: #BP is survivable
void trigger_general_protection(); // a load from a non-canonical address
void trigger_unmapped_read(); // #PF: not present, read
void trigger_null_pointer_read(); // #PF at address 0
void trigger_read_only_write(); // #PF: write to the kernel's rodata
void trigger_no_execute_fetch(); // #PF: instruction fetch from .data
void trigger_stack_overflow(); // runs the kernel stack into its guard page
void trigger_nested_fault(); // #UD whose report then faults (#PF): the symbol table page unmapped
void trigger_triple_fault(); // #UD with an empty IDT: #GP, #DF, then the CPU resets

} // namespace arch
