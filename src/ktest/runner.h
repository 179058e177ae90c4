#pragma once

// Runs the kernel tests the command line selects and reports them as KTAP
// version 1 on the console (docs.kernel.org/dev-tools/ktap.html): a version
// line and a plan, then one subtest block a suite with an `ok`/`not ok`
// line a test and diagnostics as `#` lines, then a line a suite.
//
// Selection: "" runs every test not marked explicit-only. Otherwise a
// comma-separated list of patterns, each `suite` or `suite.test`, with '*'
// and '?' wildcards. An explicit-only test runs when a pattern names its
// suite literally.
//
// A watchdog on the timer ends a test that runs past its timeout (it must
// have interrupts on, as any test that can hang should): the test is
// reported `not ok` with the reason, and the run goes on. A test that
// skips (KSKIP) is `ok N name # SKIP reason`. Every test is checked for
// leaks (src/ktest/leak_check.h): one that keeps frames or heap blocks is
// `not ok`, with `# leaked F frames, B blocks (N bytes)`.

#include "lib/string_view.h"

namespace ktest {

struct RunSummary {
    unsigned selected;
    unsigned passed;
    unsigned failed;
    unsigned timed_out;
    unsigned skipped; // reported ok, with the reason
};

RunSummary run_tests(lib::StringView selection);

} // namespace ktest
