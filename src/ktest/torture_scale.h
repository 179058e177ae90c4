#pragma once

// How hard the torture tests (heap, frames, lock, on every CPU at once)
// work: their full operation counts by default, a percentage of them with
// the boot word `torture_percent=<1..100>`. The kernel-test run keeps the
// full counts (10^5 heap operations a CPU); the machine matrix, which
// boots up to 16 CPUs on a 2-core host, runs a tenth to prove the
// machinery on every machine in seconds. Each test prints the counts it
// ran, so a log always says which it was.

namespace ktest {

inline constexpr unsigned kMinTorturePercent = 1;
inline constexpr unsigned kMaxTorturePercent = 100;

void set_torture_percent(unsigned percent);
unsigned torture_percent();

// full scaled by the percentage, never below 1.
unsigned torture_operations(unsigned full);

} // namespace ktest
