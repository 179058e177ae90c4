#pragma once

// Backtraces for panics: where a fatal error was raised, as the chain of
// callers up to the first kernel frame, each symbolized from the kernel's
// own symbol table. Fault reports print theirs from the interrupted context
// (src/arch/x86_64/exceptions.cpp).

#include <stddef.h>
#include <stdint.h>

namespace arch {

// Logs "backtrace of the panic:" and one line per return address above the
// frame at frame_pointer (the caller's __builtin_frame_address(0)), so #0 is
// the call that entered the caller.
void log_backtrace_from_frame(uint64_t frame_pointer);

// The return addresses above the frame at frame_pointer (a function's
// __builtin_frame_address(0): #0 is where that function was called from),
// at most capacity; how many were found. For records kept for later
// reports (lock acquisitions): the code's own live chain, so the frames on
// its own stack are read without the exception table.
size_t capture_callers(uint64_t frame_pointer, uint64_t* return_addresses, size_t capacity);

} // namespace arch
