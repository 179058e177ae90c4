// Demonstrations of how the framework reports what goes wrong, for the
// tests of the framework itself (test/test_kernel_framework.py). Explicit
// only: `test` never runs them; `test=demo_failures` or `test=demo_crash` does.

#include <stdint.h>

#include "arch/fault_triggers.h"
#include "arch/interrupts.h"
#include "ktest/ktest.h"

namespace ktest {
namespace {

// volatile: the compiler may not fold the failing comparisons away.
volatile uint64_t g_six = 6;

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

} // namespace ktest
