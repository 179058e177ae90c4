#pragma once

// The stack protector (-fstack-protector-strong with a global guard): GCC
// puts __stack_chk_guard below the return address of every function with
// an array or an address-taken local, and calls __stack_chk_fail when the
// copy no longer matches on the way out. On x86-64 GCC would read the guard
// through %fs by default, which means nothing in a kernel; the build asks
// for -mstack-protector-guard=global, and test/test_image.py checks that no
// %fs access made it into the kernel.

#include <stdint.h>

namespace kernel {

// Replaces the link-time guard with a value from RDRAND (or the TSC where
// there is no RDRAND). Called first thing in kernel_main, which never
// returns, so no live frame holds the old value when it changes.
// Returns where the value came from, for the boot log.
const char* seed_stack_protector();

} // namespace kernel
