#pragma once

// Frame-pointer backtraces (the kernel keeps RBP as a frame pointer:
// -fno-omit-frame-pointer): [RBP] is the caller's RBP, [RBP + 8] the return
// address. Reads only inside the kernel's known stacks, so a corrupt chain
// ends the walk instead of faulting again.

#include <stddef.h>
#include <stdint.h>

namespace arch {

inline constexpr size_t kMaxBacktraceFrames = 32;

// Fills return_addresses with the callers of the frame whose RBP is given;
// returns how many it found.
size_t walk_frame_pointers(uint64_t rbp, uint64_t* return_addresses, size_t capacity);

} // namespace arch
