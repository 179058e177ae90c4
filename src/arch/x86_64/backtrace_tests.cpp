// Kernel tests of the two frame-pointer walks: capture_callers (the lean
// one every lock acquisition runs while the lock validator is on: plain
// loads on the stack the code runs on) must return exactly what the
// careful walk (every frame checked against the known stacks and read
// through the exception table) returns for the same frame, whether the
// chain is longer than asked for or not.

#include <stddef.h>
#include <stdint.h>

#include "arch/backtrace.h"
#include "arch/x86_64/backtrace.h"
#include "ktest/ktest.h"

namespace arch {
namespace {

struct Walks {
    uint64_t captured[kMaxBacktraceFrames];
    uint64_t walked[kMaxBacktraceFrames];
    size_t captured_count;
    size_t walked_count;
};

// Both walks from the frame of the innermost of depth nested calls.
[[gnu::noinline]] void walk_both_at_depth(unsigned depth, size_t capacity, Walks& walks)
{
    if (depth > 0) {
        walk_both_at_depth(depth - 1, capacity, walks);
        asm volatile("" ::: "memory"); // not a tail call: each level keeps its frame
        return;
    }
    auto frame = reinterpret_cast<uint64_t>(__builtin_frame_address(0));
    walks.captured_count = capture_callers(frame, walks.captured, capacity);
    walks.walked_count = walk_frame_pointers(frame, walks.walked, capacity);
}

} // namespace

KTEST(backtrace, capturing_callers_finds_what_the_careful_walk_finds)
{
    // Ten nested frames, then the test's and the runner's: a chain of more
    // than 12, cut short at the first two capacities.
    constexpr size_t kCapacities[] = { 1, 6, kMaxBacktraceFrames };
    for (size_t capacity : kCapacities) {
        Walks walks {};
        walk_both_at_depth(10, capacity, walks);
        if (capacity <= 12)
            KEXPECT_EQ(walks.walked_count, capacity);
        else
            KEXPECT_TRUE(walks.walked_count > 12);
        KASSERT_EQ(walks.captured_count, walks.walked_count);
        for (size_t i = 0; i < walks.walked_count; ++i)
            KEXPECT_EQ(walks.captured[i], walks.walked[i]);
    }
}

} // namespace arch
