#pragma once

// The parts of the C++ runtime a hosted program gets from libstdc++ and
// crt files, written for the kernel: global constructors, new/delete on
// the kernel allocator, and the pure-virtual trap.

#include <stddef.h>

namespace kernel {

// Runs every constructor in .init_array, in link order. Called once, first
// thing in kernel_main. Returns how many ran.
size_t run_global_constructors();

} // namespace kernel
