// Demonstrations of how the framework reports what goes wrong, for the
// tests of the framework itself (test/test_kernel_framework.py). Explicit
// only: `test` never runs them; `test=demo_failures` (or demo_crash,
// demo_starved, demo_blocked) does.

#include <stdint.h>

#include "arch/fault_triggers.h"
#include "arch/interrupts.h"
#include "ktest/ktest.h"
#include "ktest/owners.h"
#include "mm/kernel_heap.h"
#include "mm/physical_memory.h"
#include "sched/scheduler.h"
#include "sched/thread.h"

// What demo_failures.leaks keeps: the framework's tests read these from the
// ELF (by these unmangled names: extern "C", and extern so that const does
// not make them internal) and expect the runner's leak report to name
// exactly them. The code uses their values, folded in, so retain keeps the
// linker's --gc-sections from dropping the objects themselves.
extern "C" {
extern const uint64_t ktest_demo_leaked_frames;
extern const uint64_t ktest_demo_leaked_block_sizes[2];
[[gnu::used, gnu::retain]] constinit const uint64_t ktest_demo_leaked_frames = 3;
[[gnu::used, gnu::retain]] constinit const uint64_t ktest_demo_leaked_block_sizes[2] = { 100, 28 };
}

namespace ktest {
namespace {

// volatile: the compiler may not fold the failing comparisons away.
volatile uint64_t g_six = 6;

uint64_t spin_forever(void*)
{
    for (;;)
        arch::cpu_relax();
}

constexpr uint64_t kAnHourMs = uint64_t { 3600 } * 1000;

uint64_t sleep_an_hour(void*)
{
    sched::sleep_ms(kAnHourMs);
    return 0;
}

} // namespace

KTEST_EXPLICIT(demo_failures, passes, 0)
{
    KEXPECT_EQ(g_six + 1, 7u);
}

KTEST_EXPLICIT(demo_failures, expect_eq_fails, 0)
{
    uint64_t answer = g_six * 7;
    KEXPECT_EQ(answer, 41u);
    KEXPECT_TRUE(answer == 42); // carries on after a failed expectation
}

KTEST_EXPLICIT(demo_failures, assert_stops_the_test, 0)
{
    KASSERT_LE(g_six, 5u);
    KEXPECT_EQ(1, 2); // never reached: no second diagnostic
}

KTEST_EXPLICIT(demo_failures, skips_with_its_reason, 0)
{
    KSKIP("shown skipped on purpose: {} is not {}", g_six, 7);
    KEXPECT_EQ(1, 2); // never reached
}

KTEST_EXPLICIT(demo_failures, leaks, 0)
{
    for (uint64_t i = 0; i < ktest_demo_leaked_frames; ++i)
        KASSERT_TRUE(mm::allocate_frame().has_value());
    for (uint64_t size : ktest_demo_leaked_block_sizes)
        KASSERT_TRUE(mm::kalloc(size) != nullptr);
}

// Leaves through a failed KASSERT while holding a frame and a block: the
// owners give them back, so the runner finds no leak.
KTEST_EXPLICIT(demo_failures, assert_with_owners_leaks_nothing, 0)
{
    uint64_t storage[1];
    OwnedFrames frames(storage, 1);
    KASSERT_TRUE(frames.allocate());
    OwnedBlock block(ktest_demo_leaked_block_sizes[0]);
    KASSERT_TRUE(block);
    KASSERT_EQ(g_six, 7u);
}

KTEST_EXPLICIT(demo_failures, hangs, 300)
{
    for (;;)
        arch::wait_for_interrupt();
}

KTEST_EXPLICIT(demo_failures, runs_after_the_hang, 0)
{
    KEXPECT_EQ(g_six, 6u);
}

KTEST_EXPLICIT(demo_crash, passes_first, 0)
{
    KEXPECT_EQ(g_six, 6u);
}

KTEST_EXPLICIT(demo_crash, faults, 0)
{
    arch::trigger_unmapped_read();
}

KTEST_EXPLICIT(demo_crash, never_runs, 0)
{
    KEXPECT_EQ(g_six, 6u);
}

// The watchdog cannot send back a runner that does not run: past twice the
// timeout it panics with the runner thread's state. Each ends the boot.
KTEST_EXPLICIT(demo_starved, a_high_thread_keeps_the_runner_from_its_cpu, 300)
{
    // Pinned to the runner's CPU at a higher priority: it runs at once and
    // never lets the runner run again.
    auto hog = sched::spawn(
        "starver", spin_forever, nullptr, { sched::Priority::High, arch::current_cpu_index() });
    KASSERT_TRUE(hog.has_value());
    bool runner_ran_again = true;
    KEXPECT_FALSE(runner_ran_again);
}

KTEST_EXPLICIT(demo_blocked, joins_a_thread_that_sleeps_an_hour, 300)
{
    auto sleeper = sched::spawn("sleeper", sleep_an_hour, nullptr);
    KASSERT_TRUE(sleeper.has_value());
    sched::join(sleeper.value());
}

} // namespace ktest
