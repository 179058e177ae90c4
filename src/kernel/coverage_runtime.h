#pragma once

// The kernel's code coverage (meson_options.txt: kernel_coverage). GCC's
// -fprofile-arcs counts every arc of every function in counters of its own
// and registers each translation unit's table with __gcov_init from a
// global constructor; src/kernel/coverage_runtime.cpp is the freestanding
// runtime that libgcov is on a hosted system. At the end of a boot the
// counters go out through QEMU's debug console port (isa-debugcon at 0xe9),
// and test/harness/coverage.py turns them into the .gcda files gcov and
// gcovr read.

namespace kernel {

#if RAYOS_COVERAGE
// Stops the other CPUs (so no counter moves while it is read) and writes
// every registered unit's counters to the debug console port, once; a CPU
// that arrives second halts. Called by drivers::qemu_exit before QEMU ends.
void dump_coverage();
#else
inline void dump_coverage() { }
#endif

} // namespace kernel
