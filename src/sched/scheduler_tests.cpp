// Kernel tests of threads and the scheduler (issue 14).

#include "arch/cpu.h"
#include "ktest/ktest.h"
#include "sched/scheduler.h"
#include "sched/thread.h"

namespace sched {
namespace {

uint64_t add_one(void* argument)
{
    return reinterpret_cast<uint64_t>(argument) + 1;
}

KTEST(threads, spawn_and_join_returns_the_result)
{
    auto thread = spawn("add-one", add_one, reinterpret_cast<void*>(41));
    KASSERT_TRUE(thread.has_value());
    KEXPECT_EQ(join(thread.value()), 42u);
}

} // namespace
} // namespace sched
