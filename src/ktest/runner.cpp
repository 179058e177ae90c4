#include "ktest/runner.h"

#include "arch/resume_point.h"
#include "drivers/pit.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "ktest/ktest.h"
#include "ktest/leak_check.h"
#include "lib/atomic.h"
#include "lib/glob.h"
#include "sched/thread.h"
#include "sync/lock_validator.h"

extern "C" const ktest::TestCase* const __kernel_tests_start[];
extern "C" const ktest::TestCase* const __kernel_tests_end[];

namespace ktest {
namespace {

using kernel::log;
using kernel::LogTag;

// The watchdog's state. Globals, not locals: after a timeout, control comes
// back through resume(), and locals of run_one() would not survive that.
arch::ResumePoint g_resume_point;
lib::Atomic<uint64_t> g_deadline_tick = 0; // 0: no test running
// The thread that runs the tests: the only one the watchdog may send back
// to the runner. One that cannot be sent back (blocked, starved, running
// elsewhere with interrupts off): past twice its time the watchdog panics.
sched::Thread* g_runner_thread = nullptr;
uint64_t g_timeout_ticks = 0;
const TestCase* g_running_test = nullptr;
Context g_context;

lib::StringView name_of(const char* text)
{
    return lib::StringView(text);
}

// One pattern: "suite" or "suite.test", either part with wildcards.
bool pattern_selects(lib::StringView pattern, const TestCase& test)
{
    size_t dot = pattern.find('.');
    lib::StringView suite_pattern = dot == lib::StringView::kNotFound ? pattern : pattern.substr(0, dot);
    if (!lib::glob_match(suite_pattern, name_of(test.suite)))
        return false;
    if ((test.flags & kExplicitOnly) != 0 && !(suite_pattern == name_of(test.suite)))
        return false;
    return dot == lib::StringView::kNotFound || lib::glob_match(pattern.substr(dot + 1), name_of(test.name));
}

bool selected(lib::StringView selection, const TestCase& test)
{
    if (selection.empty())
        return (test.flags & kExplicitOnly) == 0;
    size_t start = 0;
    while (start <= selection.size()) {
        size_t comma = selection.find(',', start);
        size_t end = comma == lib::StringView::kNotFound ? selection.size() : comma;
        if (end > start && pattern_selects(selection.substr(start, end - start), test))
            return true;
        start = end + 1;
    }
    return false;
}

const char* runner_state_text(sched::ThreadState state)
{
    switch (state) {
    case sched::ThreadState::Blocked:
        return "blocked (waiting for a thread that never ends?)";
    case sched::ThreadState::Runnable:
        return "runnable but starved (the test's threads keep every CPU it may run on)";
    case sched::ThreadState::Running:
        return "running where the watchdog cannot send it back (preemption disabled, or interrupts off)";
    default:
        return "in an unexpected state";
    }
}

void on_tick(uint64_t ticks)
{
    uint64_t deadline = g_deadline_tick.load(lib::MemoryOrder::Relaxed);
    if (deadline == 0 || ticks < deadline)
        return;
    // The test has interrupts on (the tick arrived): make this interrupt
    // return into the landing, which leaves the test for the runner. Not
    // with preemption disabled: the landing restores registers, not the
    // count a PreemptionGuard would have given back (run_on_cpus waiting
    // for a CPU), and every later test would find preemption off.
    if (sched::current_thread() == g_runner_thread && arch::preemption_enabled()
        && arch::redirect_interrupt_return(+[] { arch::resume(&g_resume_point); })) {
        g_deadline_tick.store(0, lib::MemoryOrder::Relaxed);
        return;
    }
    // The runner could not be sent back: it is blocked (waiting for a thread
    // that never ends), or waits for a CPU (threads of the test keep it
    // from running), or runs with preemption disabled. Past twice
    // the test's time the boot ends with the reason instead of hanging.
    if (ticks >= deadline + g_timeout_ticks && g_runner_thread != nullptr)
        PANIC("kernel test {}.{} not back at twice its timeout; its runner thread is {}",
            g_running_test->suite, g_running_test->name, runner_state_text(g_runner_thread->state()));
}

enum class Outcome : uint8_t { Passed, Failed, TimedOut, Skipped };

Outcome run_one(const TestCase& test)
{
    uint32_t timeout_ms = test.timeout_ms != 0 ? test.timeout_ms : kDefaultTimeoutMs;
    g_context.reset();
    uint64_t ticks = (uint64_t(timeout_ms) * drivers::timer_hz() + 999) / 1000;
    g_timeout_ticks = ticks;
    g_running_test = &test;
    g_deadline_tick.store(drivers::timer_ticks() + ticks, lib::MemoryOrder::Relaxed);
    if (arch::save_resume_point(&g_resume_point)) {
        g_context.diagnostic(
            "{}: timed out after {} ms; the watchdog stopped it", name_of(test.name), timeout_ms);
        return Outcome::TimedOut;
    }
    test.function(g_context);
    g_deadline_tick.store(0, lib::MemoryOrder::Relaxed);
    // A lock-validator report the test did not provoke on purpose (and
    // acknowledge) fails it: the report says where.
    if (uint64_t reports = sync::lockdep_unacknowledged_reports(); reports != 0) {
        g_context.diagnostic("{} lock-validator report(s) during the test ([LOCKDEP] lines above)", reports);
        sync::lockdep_acknowledge_reports();
        return Outcome::Failed;
    }
    if (g_context.failed())
        return Outcome::Failed;
    return g_context.skipped() ? Outcome::Skipped : Outcome::Passed;
}

// A test that leaves frames or blocks behind fails, whatever else it did:
// what it keeps is gone for every test after it.
Outcome run_one_checking_leaks(const TestCase& test)
{
    MemorySnapshot before = take_memory_snapshot();
    Outcome outcome = run_one(test);
    Leak leak = leak_between(before, take_memory_snapshot());
    if (!leak.any())
        return outcome;
    g_context.diagnostic("leaked {} frames, {} blocks ({} bytes)", leak.frames, leak.blocks, leak.bytes);
    return outcome == Outcome::TimedOut ? outcome : Outcome::Failed;
}

int compare(const char* a, const char* b)
{
    while (*a != 0 && *a == *b) {
        ++a;
        ++b;
    }
    return static_cast<unsigned char>(*a) - static_cast<unsigned char>(*b);
}

// Suites by name, and within a suite the tests in the order they are
// written (the linker's order is not the source's).
bool runs_before(const TestCase& a, const TestCase& b)
{
    if (int suite = compare(a.suite, b.suite); suite != 0)
        return suite < 0;
    if (int file = compare(a.file, b.file); file != 0)
        return file < 0;
    return a.line < b.line;
}

constexpr size_t kMaxTests = 1024;
const TestCase* g_plan[kMaxTests];

size_t plan_tests(lib::StringView selection)
{
    size_t count = 0;
    for (const TestCase* const* entry = __kernel_tests_start; entry != __kernel_tests_end; ++entry) {
        if (!selected(selection, **entry) || count == kMaxTests)
            continue;
        // Insertion sort: a few hundred tests at most, and no library here.
        size_t at = count++;
        while (at > 0 && runs_before(**entry, *g_plan[at - 1])) {
            g_plan[at] = g_plan[at - 1];
            --at;
        }
        g_plan[at] = *entry;
    }
    return count;
}

} // namespace

RunSummary run_tests(lib::StringView selection)
{
    size_t count = plan_tests(selection);
    size_t suite_count = 0;
    for (size_t i = 0; i < count; ++i)
        suite_count += i == 0 || compare(g_plan[i]->suite, g_plan[i - 1]->suite) != 0 ? 1 : 0;

    RunSummary summary {};
    summary.selected = static_cast<unsigned>(count);
    if (count == 0)
        log(LogTag::Boot, "warning: test='{}' selects no kernel test", selection);
    g_runner_thread = sched::current_thread();
    drivers::set_tick_observer(on_tick);
    // A report fails the test that made it, not the whole run.
    sync::lockdep_acknowledge_reports();
    sync::set_lockdep_report_action(sync::LockdepReportAction::Count);
    log(LogTag::Raw, "KTAP version 1");
    log(LogTag::Raw, "1..{}", suite_count);
    size_t first = 0;
    for (size_t suite_number = 1; first < count; ++suite_number) {
        size_t end = first;
        while (end < count && compare(g_plan[end]->suite, g_plan[first]->suite) == 0)
            ++end;
        log(LogTag::Raw, "    KTAP version 1");
        log(LogTag::Raw, "    # Subtest: {}", g_plan[first]->suite);
        log(LogTag::Raw, "    1..{}", end - first);
        bool suite_passed = true;
        for (size_t i = first; i < end; ++i) {
            const TestCase& test = *g_plan[i];
            Outcome outcome = run_one_checking_leaks(test);
            if (outcome == Outcome::Passed) {
                ++summary.passed;
                log(LogTag::Raw, "    ok {} {}", i - first + 1, test.name);
                continue;
            }
            if (outcome == Outcome::Skipped) {
                ++summary.skipped;
                log(LogTag::Raw, "    ok {} {} # SKIP {}", i - first + 1, test.name, g_context.skip_reason());
                continue;
            }
            suite_passed = false;
            ++(outcome == Outcome::TimedOut ? summary.timed_out : summary.failed);
            log(LogTag::Raw, "    not ok {} {}", i - first + 1, test.name);
        }
        log(LogTag::Raw, "{} {} {}", suite_passed ? "ok" : "not ok", suite_number, g_plan[first]->suite);
        first = end;
    }
    drivers::set_tick_observer(nullptr);
    sync::set_lockdep_report_action(sync::LockdepReportAction::Panic);
    log(LogTag::Raw, "# kernel tests: {} passed, {} failed, {} timed out, {} skipped", summary.passed,
        summary.failed, summary.timed_out, summary.skipped);
    return summary;
}

} // namespace ktest
