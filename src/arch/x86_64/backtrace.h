#pragma once

// Frame-pointer backtraces. Every C++ function sets up its frame first thing
// (push %rbp; mov %rsp,%rbp: meson.build's flags, checked over the ELF by
// test/test_image.py), so [RBP] is the caller's RBP and [RBP + 8] the
// return address. Reads only inside the kernel's known stacks; the walks
// here read through the exception table too, so a corrupt chain ends the
// walk instead of faulting again (capture_callers, for the running code's
// own chain, reads its own stack directly).

#include <stddef.h>
#include <stdint.h>

#include "lib/string_view.h"

namespace arch {

inline constexpr size_t kMaxBacktraceFrames = 32;

// Fills return_addresses with the callers of the frame whose RBP is given;
// returns how many it found.
size_t walk_frame_pointers(uint64_t rbp, uint64_t* return_addresses, size_t capacity);

// The callers of code interrupted at rip, with its rsp and rbp. Code stopped
// before its frame is set up (at a function's first instruction, just after
// its push %rbp, or outside every function after a call into data or the
// heap) has its caller's return address on the stack, not in the RBP chain:
// that one comes first, then the chain.
size_t walk_interrupted_frames(
    uint64_t rip, uint64_t rsp, uint64_t rbp, uint64_t* return_addresses, size_t capacity);

// "<label><address> <function>+<offset>", the function found at
// lookup_address (a return address minus one names the call, not what
// follows it), or "(no symbol)".
void log_symbolized(lib::StringView label, uint64_t address, uint64_t lookup_address);

// "  #<n> ..." for each return address, numbered from first_index.
void log_return_addresses(const uint64_t* return_addresses, size_t count, size_t first_index);

} // namespace arch
