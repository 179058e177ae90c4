// The kernel-test runner of a kernel built without kernel tests (the
// release kernel, or a build with -Dkernel_tests=false): the boot word
// `test` and the console's `test` say where the tests are, and the run
// selects nothing, which fails it as a run that selects no test does.

#include "kernel/log.h"
#include "ktest/runner.h"

namespace ktest {

RunSummary run_tests(lib::StringView)
{
    kernel::log(kernel::LogTag::Boot,
        "warning: this kernel has no kernel tests linked in (the release kernel, or a build with "
        "-Dkernel_tests=false): boot the test kernel, build/rayos.iso of a build with kernel_tests on");
    return {};
}

} // namespace ktest
