// Kernel tests of threads and the scheduler (issue 14): fairness and
// preemption on every CPU, priorities, affinity and work stealing. Sleeping
// and the life cycle of threads: thread_lifetime_tests.cpp.

#include "arch/cpu.h"
#include "drivers/acpi_pm_timer.h"
#include "drivers/clock_cross_check.h"
#include "drivers/kernel_tick.h"
#include "kernel/cross_cpu_call.h"
#include "ktest/ktest.h"
#include "sched/scheduler.h"
#include "sched/test_threads.h"
#include "sched/thread.h"
#include "sync/preemption_guard.h"

namespace sched {
namespace {

using testing::cycles_to_us;
using testing::spin_for_us;
using testing::TestThreads;
using testing::tsc_in_us;

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

// Spins until told to stop, never yielding; returns its CPU index + 1 when
// it only ever ran there, 0 otherwise.
uint64_t spin_until_stopped(void* argument)
{
    auto& stop = *static_cast<lib::Atomic<bool>*>(argument);
    unsigned cpu = arch::current_cpu_index();
    bool moved = false;
    while (!stop.load(lib::MemoryOrder::Relaxed)) {
        moved |= arch::current_cpu_index() != cpu;
        arch::cpu_relax();
    }
    return moved ? 0 : cpu + 1;
}

constexpr unsigned kFairnessThreadsPerCpu = 3;
constexpr uint64_t kFairnessMs = 450;
// Round robin over the 2 ms slices test/test_threads.py boots with gives
// each of 3 threads about 75 slices in 450 ms; one slice more or less is
// 1.3% off the mean of such a CPU. Under -icount with -smp 4 QEMU runs the
// virtual CPUs in turn, and a thread is charged the virtual time its CPU
// spent waiting for its turn: over 150 ms a busy host made that 10.5% (one
// thread 55 ms, its neighbours 46 and 48), in 1 of 3 boots beside two busy
// loops; 450 ms spreads the same wait over three times the run time.
constexpr uint64_t kFairnessTolerancePercent = 10;

// The fairness threads stop at a TSC deadline, by themselves: a stop flag
// raised by the test would wait for the test's own turn on CPU 0, and the
// threads would run on (fairly) until then, hiding an unfair window.
// Returns its CPU index + 1 when it only ever ran there, 0 otherwise.
uint64_t spin_until_deadline(void* argument)
{
    uint64_t stop_at = *static_cast<const uint64_t*>(argument);
    unsigned cpu = arch::current_cpu_index();
    bool moved = false;
    while (arch::read_timestamp_counter() < stop_at) {
        moved |= arch::current_cpu_index() != cpu;
        arch::cpu_relax();
    }
    return moved ? 0 : cpu + 1;
}

bool within_percent(uint64_t value, uint64_t mean, uint64_t percent)
{
    uint64_t difference = value > mean ? value - mean : mean - value;
    return difference * 100 <= mean * percent;
}

// Run time is TSC time, and under TCG on a loaded host a virtual CPU loses
// the host's CPU for tens of milliseconds at a time, which the thread then
// current is charged: measured so, no scheduler is fair. The test runs in a
// boot of its own under QEMU's -icount (virtual time counts instructions,
// test/test_threads.py): there a thread's run time is the work it did, and
// the figures say what the scheduler gave it. Explicit, so that the default
// test run (wall-clock TCG) leaves it out.
KTEST_EXPLICIT(threads_fairness, busy_threads_on_each_cpu_get_equal_run_time, 120000)
{
    TestThreads<size_t { arch::kMaxCpus } * kFairnessThreadsPerCpu> threads;
    kernel::CpuSet cpus = kernel::CpuSet::all_online();
    uint64_t start = arch::read_timestamp_counter();
    uint64_t stop_at = start + kFairnessMs * kernel::tsc_cycles_per_ms();
    for (unsigned cpu = 0; cpu < arch::kMaxCpus; ++cpu) {
        for (unsigned i = 0; cpus.contains(cpu) && i < kFairnessThreadsPerCpu; ++i)
            KASSERT_TRUE(
                threads.spawn("fair", spin_until_deadline, &stop_at, { Priority::Normal, cpu }) != nullptr);
    }
    threads.stop_and_wait();
    uint64_t elapsed_us = cycles_to_us(arch::read_timestamp_counter() - start);
    ktest_context.diagnostic("{} busy threads on each of {} CPUs for {} us, time slice {} ms",
        kFairnessThreadsPerCpu, cpus.count(), elapsed_us, timeslice_ms());

    uint64_t total = 0;
    for (size_t i = 0; i < threads.count(); ++i)
        total += threads[i].run_time_cycles();
    uint64_t overall_mean = total / threads.count();
    for (size_t first = 0; first < threads.count(); first += kFairnessThreadsPerCpu) {
        unsigned cpu = threads[first].pinned_cpu();
        uint64_t sum = 0;
        for (size_t i = first; i < first + kFairnessThreadsPerCpu; ++i)
            sum += threads[i].run_time_cycles();
        uint64_t mean = sum / kFairnessThreadsPerCpu;
        for (size_t i = first; i < first + kFairnessThreadsPerCpu; ++i) {
            uint64_t run = threads[i].run_time_cycles();
            ktest_context.diagnostic("cpu {}: thread {} ran {} us (cpu mean {} us, overall mean {} us)", cpu,
                threads[i].id(), cycles_to_us(run), cycles_to_us(mean), cycles_to_us(overall_mean));
            KEXPECT_TRUE(within_percent(run, mean, kFairnessTolerancePercent));
            KEXPECT_TRUE(within_percent(run, overall_mean, kFairnessTolerancePercent));
        }
    }
    // Each stayed on its CPU (its result); read the CPUs before join frees the threads.
    unsigned pinned[arch::kMaxCpus * kFairnessThreadsPerCpu];
    for (size_t i = 0; i < threads.count(); ++i)
        pinned[i] = threads[i].pinned_cpu();
    threads.join_all();
    for (size_t i = 0; i < threads.count(); ++i)
        KEXPECT_EQ(threads.result(i), uint64_t { pinned[i] } + 1);
}

struct PreemptionProbe {
    lib::Atomic<bool> spinner_running = false;
    lib::Atomic<uint64_t> count = 0;
    lib::Atomic<bool> stop = false;
};

uint64_t spin_after_saying_so(void* argument)
{
    auto& probe = *static_cast<PreemptionProbe*>(argument);
    probe.spinner_running.store(true);
    return spin_until_stopped(&probe.stop);
}

uint64_t count_until_stopped(void* argument)
{
    auto& probe = *static_cast<PreemptionProbe*>(argument);
    while (!probe.stop.load(lib::MemoryOrder::Relaxed))
        probe.count.fetch_add(1, lib::MemoryOrder::Relaxed);
    return 0;
}

// The bound on the counter's wait: a time slice and a tick, with ten times
// that as room for a loaded host; a scheduler without preemption never
// lets it run while the spinner spins. Counted in the CPU's own ticks, the
// clock slices are made of: PM time also counts the emulator's stalls (a
// CI run's starved QEMU gave 22 ticks in 126 ms, past a 101 ms bound, with
// the scheduler doing nothing wrong). PM time only ends a wait whose ticks
// stopped.
constexpr uint64_t kPreemptionWaitSlices = 10;
constexpr uint64_t kStalledTicksWaitFactor = 10;

KTEST(threads, a_thread_that_never_yields_does_not_stop_others_on_its_cpu)
{
    kernel::CpuSet cpus = kernel::CpuSet::all_online();
    for (unsigned cpu = 0; cpu < arch::kMaxCpus; ++cpu) {
        if (!cpus.contains(cpu))
            continue;
        PreemptionProbe probe;
        TestThreads<2> threads(&probe.stop);
        KASSERT_TRUE(
            threads.spawn("spinner", spin_after_saying_so, &probe, { Priority::Normal, cpu }) != nullptr);
        while (!probe.spinner_running.load())
            sleep_ms(1);
        uint64_t preemptions_before = scheduler_statistics(cpu).preemptions;
        uint64_t ticks_before = arch::cpu_timer_ticks(cpu);
        // A slice lasts whole ticks: at timer_hz=19 a 10 ms slice is one 53 ms tick.
        uint64_t tick_us = 1000000 / drivers::timer_hz();
        uint64_t slice_us = uint64_t { timeslice_ms() } * 1000;
        if (slice_us < tick_us)
            slice_us = tick_us;
        uint64_t bound_us = kPreemptionWaitSlices * slice_us + tick_us;
        uint64_t bound_ticks = (bound_us + tick_us - 1) / tick_us;
        drivers::PmStopwatch stopwatch;
        uint64_t ticks_at_spawn = arch::cpu_timer_ticks(cpu);
        KASSERT_TRUE(
            threads.spawn("counter", count_until_stopped, &probe, { Priority::Normal, cpu }) != nullptr);
        uint64_t waited_us = 0;
        uint64_t waited_ticks = 0;
        while (probe.count.load() == 0 && waited_ticks <= bound_ticks
            && waited_us <= kStalledTicksWaitFactor * bound_us) {
            sleep_ms(1);
            waited_us = drivers::pm_counts_to_us(stopwatch.elapsed());
            waited_ticks = arch::cpu_timer_ticks(cpu) - ticks_at_spawn;
        }
        bool spinner_still_spinning = threads[0].state() != ThreadState::Dead;
        uint64_t preemptions = scheduler_statistics(cpu).preemptions - preemptions_before;
        uint64_t ticks = arch::cpu_timer_ticks(cpu) - ticks_before;
        threads.join_all();
        ktest_context.diagnostic("cpu {}: the counter ran after {} ticks (bound {}), {} us, counted {}; {} "
                                 "preemptions, {} ticks on the CPU",
            cpu, waited_ticks, bound_ticks, waited_us, probe.count.load(), preemptions, ticks);
        KEXPECT_GT(probe.count.load(), 0u);
        KEXPECT_LE(waited_ticks, bound_ticks);
        KEXPECT_TRUE(spinner_still_spinning);
        KEXPECT_GT(preemptions, 0u);
    }
}

// Records every CPU it finds itself on while it spins, yields and sleeps;
// returns them as a bit set.
uint64_t note_cpus_while_moving_about(void*)
{
    constexpr unsigned kRounds = 30;
    uint64_t seen = 0;
    for (unsigned round = 0; round < kRounds; ++round) {
        seen |= uint64_t { 1 } << arch::current_cpu_index();
        spin_for_us(200);
        seen |= uint64_t { 1 } << arch::current_cpu_index();
        if (round % 3 == 0)
            yield();
        if (round % 5 == 0)
            sleep_ms(1);
    }
    return seen;
}

constexpr unsigned kPinnedThreadsPerCpu = 2;

KTEST(threads, a_pinned_thread_only_ever_runs_on_its_cpu)
{
    kernel::CpuSet cpus = kernel::CpuSet::all_online();
    TestThreads<size_t { arch::kMaxCpus } * kPinnedThreadsPerCpu> threads;
    for (unsigned cpu = 0; cpu < arch::kMaxCpus; ++cpu) {
        for (unsigned i = 0; cpus.contains(cpu) && i < kPinnedThreadsPerCpu; ++i) {
            KASSERT_TRUE(
                threads.spawn("pinned", note_cpus_while_moving_about, nullptr, { Priority::Normal, cpu })
                != nullptr);
        }
    }
    unsigned pinned[arch::kMaxCpus * kPinnedThreadsPerCpu];
    for (size_t i = 0; i < threads.count(); ++i)
        pinned[i] = threads[i].pinned_cpu();
    threads.join_all();
    for (size_t i = 0; i < threads.count(); ++i)
        KEXPECT_EQ(threads.result(i), kernel::CpuSet::just(pinned[i]).bits());
    ktest_context.diagnostic(
        "{} threads pinned on each of {} CPUs spun, yielded and slept", kPinnedThreadsPerCpu, cpus.count());
}

// Work stealing. A High thread (the hog) holds CPU 0 until every worker
// has finished, kHogCapMs at most, so the unpinned workers queued there can
// only run elsewhere: each works kWorkUs, and all of them together need
// some tens of ms on the other CPUs. Each worker records where it ran and
// when it finished. The hog waits for the workers rather than for a fixed
// time (300 ms before), which a host stall of a virtual CPU in the middle
// of a worker could outlast; without stealing, CPU 0's workers never
// finish, the hog leaves at the cap, and the test says it did.
constexpr uint64_t kHogCapMs = 5000;
constexpr uint64_t kHogPollUs = 100;
constexpr uint64_t kWorkUs = 2000;
constexpr unsigned kWorkersPerCpu = 8;

struct Worker {
    uint64_t cpus = 0;
    uint64_t finished_at = 0;
};

struct WorkersFinished {
    lib::Atomic<unsigned> count = 0;
    unsigned expected = 0;
    // Set by the hog: when it took CPU 0 and left it, and whether it left
    // at the cap with workers unfinished.
    uint64_t hog_started_at = 0;
    uint64_t hog_ended_at = 0;
    bool hog_hit_cap = false;
};
WorkersFinished g_workers_finished;

uint64_t work_briefly(void* argument)
{
    auto& worker = *static_cast<Worker*>(argument);
    worker.cpus |= uint64_t { 1 } << arch::current_cpu_index();
    spin_for_us(kWorkUs);
    worker.cpus |= uint64_t { 1 } << arch::current_cpu_index();
    worker.finished_at = arch::read_timestamp_counter();
    g_workers_finished.count.fetch_add(1);
    return 0;
}

uint64_t hog_cpu(void*)
{
    WorkersFinished& finished = g_workers_finished;
    finished.hog_started_at = arch::read_timestamp_counter();
    uint64_t cap = tsc_in_us(kHogCapMs * 1000);
    while (finished.count.load() < finished.expected && arch::read_timestamp_counter() < cap)
        spin_for_us(kHogPollUs);
    finished.hog_hit_cap = finished.count.load() < finished.expected;
    finished.hog_ended_at = arch::read_timestamp_counter();
    return finished.hog_ended_at;
}

uint64_t total_steals()
{
    uint64_t steals = 0;
    for (unsigned cpu = 0; cpu < arch::kMaxCpus; ++cpu)
        steals += scheduler_statistics(cpu).steals;
    return steals;
}

KTEST(threads, cpus_with_nothing_to_do_steal_queued_threads)
{
    kernel::CpuSet cpus = kernel::CpuSet::all_online();
    unsigned online = cpus.count();
    unsigned worker_count = kWorkersPerCpu * online;
    static Worker workers[kWorkersPerCpu * arch::kMaxCpus];
    for (unsigned i = 0; i < worker_count; ++i)
        workers[i] = {};
    g_workers_finished.count.store(0);
    // One CPU: the workers run only once the hog has left, so it leaves at once.
    g_workers_finished.expected = online > 1 ? worker_count : 0;
    g_workers_finished.hog_hit_cap = false;
    TestThreads<kWorkersPerCpu * arch::kMaxCpus + 1> threads;
    uint64_t steals_before = total_steals();
    unsigned queued_on_cpu_0 = 0;
    static bool placed_on_cpu_0[kWorkersPerCpu * arch::kMaxCpus];
    Thread* hog = nullptr;
    {
        // No switch on CPU 0 until the hog is queued: a spawning that
        // outlasts the time slice (a host stall did, in a loaded suite run)
        // would otherwise let CPU 0 run the workers queued on it, and none
        // would be left for the others to steal.
        sync::PreemptionGuard spawn_before_anything_runs_here;
        for (unsigned i = 0; i < worker_count; ++i) {
            Thread* worker = threads.spawn("worker", work_briefly, &workers[i]);
            KASSERT_TRUE(worker != nullptr);
            placed_on_cpu_0[i] = worker->last_cpu() == 0;
            queued_on_cpu_0 += placed_on_cpu_0[i] ? 1 : 0;
        }
        // Spawned last, High and pinned to CPU 0: it runs first there, and
        // this thread waits too.
        hog = threads.spawn("hog", hog_cpu, nullptr, { Priority::High, 0 });
    }
    KASSERT_TRUE(hog != nullptr);
    threads.join_all();
    uint64_t hog_ended_at = threads.result(threads.count() - 1);
    uint64_t steals = total_steals() - steals_before;

    uint64_t ran_on = 0;
    unsigned finished_before_the_hog = 0;
    unsigned taken_from_cpu_0 = 0;
    for (unsigned i = 0; i < worker_count; ++i) {
        ran_on |= workers[i].cpus;
        finished_before_the_hog += workers[i].finished_at < hog_ended_at ? 1 : 0;
        taken_from_cpu_0 += placed_on_cpu_0[i] && (workers[i].cpus & ~uint64_t { 1 }) != 0 ? 1 : 0;
    }
    ktest_context.diagnostic(
        "{} workers on {} CPUs ({} placed on CPU 0, {} of those ran elsewhere), {} finished before the hog "
        "left CPU 0 (it held CPU 0 for {} us{}); {} steals; CPUs used {:#x}",
        worker_count, online, queued_on_cpu_0, taken_from_cpu_0, finished_before_the_hog,
        cycles_to_us(g_workers_finished.hog_ended_at - g_workers_finished.hog_started_at),
        g_workers_finished.hog_hit_cap ? ", left at the cap" : "", steals, ran_on);
    if (online == 1) {
        KEXPECT_EQ(ran_on, cpus.bits());
        ktest_context.diagnostic("one CPU: nothing to steal from, so nothing about stealing is checked; "
                                 "every worker ran on CPU 0");
        return;
    }
    // Every other CPU ran some (CPU 0 only those it ran before the hog
    // came); without stealing, the workers queued on CPU 0 would wait for
    // the hog.
    KEXPECT_EQ(ran_on | 1, cpus.bits());
    KEXPECT_FALSE(g_workers_finished.hog_hit_cap);
    KEXPECT_EQ(finished_before_the_hog, worker_count);
    KEXPECT_GT(steals, 0u);
    // Unpinned threads move only by being stolen: some of CPU 0's moved.
    KEXPECT_GT(queued_on_cpu_0, 0u);
    KEXPECT_GT(taken_from_cpu_0, 0u);
}

// Priorities. On one CPU, a High spawner queues three Normal threads and
// then one High thread, and ends: the High one must run first, the Normal
// ones after it in the order they were queued.
struct RunOrder {
    lib::Atomic<unsigned> next = 0;
    uint64_t order[8] = {};
};

struct Runner {
    RunOrder* order;
    uint64_t tag;
};

uint64_t note_turn(void* argument)
{
    auto& runner = *static_cast<Runner*>(argument);
    unsigned turn = runner.order->next.fetch_add(1);
    if (turn < 8)
        runner.order->order[turn] = runner.tag;
    return 0;
}

struct PrioritySetup {
    RunOrder order;
    Runner runners[4];
    Thread* spawned[4] = {};
    unsigned cpu;
};

constexpr uint64_t kHighTag = 100;

uint64_t queue_normal_then_high(void* argument)
{
    auto& setup = *static_cast<PrioritySetup*>(argument);
    for (unsigned i = 0; i < 4; ++i) {
        setup.runners[i] = { &setup.order, i == 3 ? kHighTag : i + 1 };
        Priority priority = i == 3 ? Priority::High : Priority::Normal;
        auto spawned = spawn("ordered", note_turn, &setup.runners[i], { priority, setup.cpu });
        if (!spawned)
            return i;
        setup.spawned[i] = spawned.value();
    }
    return 4;
}

KTEST(threads, a_high_priority_thread_runs_before_normal_ones)
{
    kernel::CpuSet cpus = kernel::CpuSet::all_online();
    for (unsigned cpu = 0; cpu < arch::kMaxCpus; ++cpu) {
        if (!cpus.contains(cpu))
            continue;
        PrioritySetup setup;
        setup.cpu = cpu;
        auto spawner = spawn("spawner", queue_normal_then_high, &setup, { Priority::High, cpu });
        KASSERT_TRUE(spawner.has_value());
        uint64_t spawned = join(spawner.value());
        for (unsigned i = 0; i < spawned; ++i)
            join(setup.spawned[i]);
        KASSERT_EQ(spawned, 4u);
        ktest_context.diagnostic("cpu {}: ran in the order {} {} {} {} (the High thread is {})", cpu,
            setup.order.order[0], setup.order.order[1], setup.order.order[2], setup.order.order[3], kHighTag);
        KEXPECT_EQ(setup.order.order[0], kHighTag);
        KEXPECT_EQ(setup.order.order[1], 1u);
        KEXPECT_EQ(setup.order.order[2], 2u);
        KEXPECT_EQ(setup.order.order[3], 3u);
    }
}

// A thread made ready on the CPU it is pinned to, with a priority above
// the running thread's, runs at once: not when the running thread's slice
// ends or the next tick comes. The Normal spawner looks right after
// spawn() returns, with no yield between.
struct ImmediateRun {
    lib::Atomic<bool> ran = false;
    bool ran_before_spawn_returned = false;
    Thread* spawned = nullptr;
    unsigned cpu;
};

uint64_t say_ran(void* argument)
{
    static_cast<ImmediateRun*>(argument)->ran.store(true);
    return 0;
}

uint64_t spawn_high_and_look(void* argument)
{
    auto& run = *static_cast<ImmediateRun*>(argument);
    auto spawned = spawn("urgent", say_ran, &run, { Priority::High, run.cpu });
    run.ran_before_spawn_returned = run.ran.load();
    run.spawned = spawned ? spawned.value() : nullptr;
    return spawned.has_value();
}

KTEST(threads, a_higher_priority_thread_made_ready_on_this_cpu_runs_at_once)
{
    kernel::CpuSet cpus = kernel::CpuSet::all_online();
    for (unsigned cpu = 0; cpu < arch::kMaxCpus; ++cpu) {
        if (!cpus.contains(cpu))
            continue;
        ImmediateRun run;
        run.cpu = cpu;
        auto spawner = spawn("spawner", spawn_high_and_look, &run, { Priority::Normal, cpu });
        KASSERT_TRUE(spawner.has_value());
        KASSERT_EQ(join(spawner.value()), 1u);
        join(run.spawned);
        ktest_context.diagnostic("cpu {}: the High thread {} before spawn() returned to its Normal spawner",
            cpu, run.ran_before_spawn_returned ? "ran" : "had not run");
        KEXPECT_TRUE(run.ran_before_spawn_returned);
    }
}

// A cross-CPU job reaches a CPU whose thread never yields: the job's IPI
// preempts it (the idle thread, which runs jobs, goes first).
struct BusyCpu {
    lib::Atomic<bool> stop = false;
    lib::Atomic<bool> spinning = false;
};

uint64_t spin_there_until_stopped(void* argument)
{
    auto& busy = *static_cast<BusyCpu*>(argument);
    busy.spinning.store(true);
    while (!busy.stop.load(lib::MemoryOrder::Relaxed))
        arch::cpu_relax();
    return 0;
}

struct JobSeen {
    unsigned cpu = ~0u;
    bool in_idle_thread = false;
};

KTEST(threads, a_cross_cpu_job_reaches_a_cpu_busy_with_a_thread_that_never_yields)
{
    kernel::CpuSet cpus = kernel::CpuSet::all_online();
    unsigned self = arch::current_cpu_index();
    unsigned checked = 0;
    for (unsigned cpu = 0; cpu < arch::kMaxCpus; ++cpu) {
        if (!cpus.contains(cpu) || cpu == self)
            continue;
        BusyCpu busy;
        auto spinner = spawn("never-yields", spin_there_until_stopped, &busy, { Priority::Normal, cpu });
        KASSERT_TRUE(spinner.has_value());
        while (!busy.spinning.load())
            yield();
        JobSeen seen;
        kernel::run_on_cpus(
            kernel::CpuSet::just(cpu),
            +[](void* argument) {
                auto& job = *static_cast<JobSeen*>(argument);
                job.cpu = arch::current_cpu_index();
                job.in_idle_thread = current_thread()->is_idle();
            },
            &seen);
        busy.stop.store(true);
        join(spinner.value());
        ktest_context.diagnostic("cpu {}, busy with a thread that never yields, ran the job (on cpu {}, {})",
            cpu, seen.cpu, seen.in_idle_thread ? "in its idle thread" : "not in its idle thread");
        KEXPECT_EQ(seen.cpu, cpu);
        KEXPECT_TRUE(seen.in_idle_thread);
        ++checked;
    }
    if (checked == 0)
        ktest_context.diagnostic(
            "one CPU: no other CPU to send a job to; run_on_cpus runs the caller's share "
            "in the caller (the torture tests do that on every boot)");
}

} // namespace
} // namespace sched
