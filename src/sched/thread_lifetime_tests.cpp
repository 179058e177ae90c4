// Kernel tests of sleeping threads and of threads' life cycle (issue 14):
// sleep_ms against the ACPI PM timer, a sleeper's run time, and 10,000
// threads spawned and joined without a leak.

#include "arch/cpu.h"
#include "drivers/acpi_pm_timer.h"
#include "drivers/clock_cross_check.h"
#include "drivers/kernel_tick.h"
#include "ktest/ktest.h"
#include "sched/scheduler.h"
#include "sched/test_threads.h"
#include "sched/thread.h"

namespace sched {
namespace {

using testing::cycles_to_us;
using testing::TestThreads;

constexpr uint64_t kSleepMs[] = { 1, 5, 20, 50 };
constexpr unsigned kSleepCount = sizeof(kSleepMs) / sizeof(kSleepMs[0]);
// Each length is tried until kSleepOnTime attempts woke within the bound,
// at most kSleepAttempts times, so most attempts must be on time. A
// scheduler late by design, or late every other time, fails; none may ever
// wake early. A host that stalls the guest (a CPU's timer stops, the PM
// timer runs on) makes one sleep late with the scheduler doing nothing
// wrong, as it made this test fail on a loaded 2-core host (4 of 5 on
// time). Such a stall shows as ticks missing: QEMU's local APIC timer
// merges the periods it could not deliver into one interrupt, so the
// sleeper's CPU counts fewer ticks than the PM timer's time holds. A late
// attempt with more than a tick of its time missing from its CPU's ticks
// is counted apart and retried, up to kSleepStallsAllowed times; a wake-up
// late by design has every tick and fails. Where the CPU counts no ticks of
// its own (the PIT drives the tick) no attempt is a stall.
constexpr unsigned kSleepOnTime = 5;
constexpr unsigned kSleepAttempts = 8;
constexpr unsigned kSleepStallsAllowed = 8;
constexpr unsigned kSleepMaxAttempts = kSleepAttempts + kSleepStallsAllowed;
// Past the tick that ends a sleep, the woken thread runs at that
// interrupt's exit: the wake-up, the switch and the PM timer's port reads
// cost a few microseconds on hardware and some tens under TCG; 500 us
// leaves room for that without hiding a tick missed.
constexpr uint64_t kWakeAllowanceUs = 500;

struct SleepTimes {
    uint64_t bound_us;
    uint64_t tick_us;
    uint64_t us[kSleepCount][kSleepMaxAttempts];
    uint64_t ticks[kSleepCount][kSleepMaxAttempts];
    unsigned attempts[kSleepCount];
    unsigned on_time[kSleepCount];
    unsigned stalled[kSleepCount];
};

// Whether a late attempt's CPU missed ticks: its ticks account for more
// than a tick less than the PM timer's time.
bool ticks_went_missing(uint64_t us, uint64_t ticks, uint64_t tick_us)
{
    return ticks != 0 && us > (ticks + 1) * tick_us;
}

uint64_t sleep_and_time_it(void* argument)
{
    auto& times = *static_cast<SleepTimes*>(argument);
    unsigned cpu = arch::current_cpu_index(); // pinned: the same CPU throughout
    for (unsigned which = 0; which < kSleepCount; ++which) {
        uint64_t asked_us = kSleepMs[which] * 1000;
        unsigned attempt = 0;
        unsigned on_time = 0;
        unsigned stalled = 0;
        for (; attempt < kSleepAttempts + stalled && on_time < kSleepOnTime; ++attempt) {
            uint64_t ticks_before = arch::cpu_timer_ticks(cpu);
            drivers::PmStopwatch stopwatch;
            sleep_ms(kSleepMs[which]);
            uint64_t us = drivers::pm_counts_to_us(stopwatch.elapsed());
            uint64_t ticks = arch::cpu_timer_ticks(cpu) - ticks_before;
            times.us[which][attempt] = us;
            times.ticks[which][attempt] = ticks;
            bool late = us > asked_us + times.bound_us;
            if (us >= asked_us && !late)
                ++on_time;
            else if (late && ticks_went_missing(us, ticks, times.tick_us) && stalled < kSleepStallsAllowed)
                ++stalled;
        }
        times.attempts[which] = attempt;
        times.on_time[which] = on_time;
        times.stalled[which] = stalled;
    }
    return 0;
}

// The last CPU: on several, one nothing else runs on (the tests run on
// CPU 0); on one, CPU 0 while the test waits in join.
unsigned quiet_cpu()
{
    return arch::cpu_count_online() - 1;
}

KTEST(threads, sleep_ms_wakes_no_earlier_and_within_a_tick_by_the_pm_timer)
{
    if (!drivers::pm_timer_present())
        KSKIP("no ACPI PM timer: no clock independent of the TSC and the tick");
    uint32_t hz = drivers::timer_hz();
    KASSERT_GT(hz, 0u);
    uint64_t tick_us = (1000000 + hz - 1) / hz;
    static SleepTimes times;
    times = {};
    times.bound_us = tick_us + kWakeAllowanceUs;
    times.tick_us = tick_us;
    TestThreads<1> threads;
    KASSERT_TRUE(
        threads.spawn("sleeper", sleep_and_time_it, &times, { Priority::Normal, quiet_cpu() }) != nullptr);
    threads.join_all();
    ktest_context.diagnostic(
        "on CPU {}: tick {} us, allowance {} us", quiet_cpu(), tick_us, kWakeAllowanceUs);
    for (unsigned which = 0; which < kSleepCount; ++which) {
        uint64_t asked_us = kSleepMs[which] * 1000;
        uint64_t latest = 0;
        for (unsigned attempt = 0; attempt < times.attempts[which]; ++attempt) {
            uint64_t us = times.us[which][attempt];
            latest = us > latest ? us : latest;
            KEXPECT_GE(us, asked_us);
        }
        ktest_context.diagnostic(
            "sleep_ms({}): {} of {} attempts woke within {} us after {} us by the PM timer "
            "(first {} us in {} ticks, latest {} us); {} late with ticks missing (a host stall)",
            kSleepMs[which], times.on_time[which], times.attempts[which], times.bound_us, asked_us,
            times.us[which][0], times.ticks[which][0], latest, times.stalled[which]);
        KEXPECT_EQ(times.on_time[which], kSleepOnTime);
    }
}

struct SleepingProbe {
    lib::Atomic<bool> about_to_sleep = false;
};
constexpr uint64_t kLongSleepMs = 100;

uint64_t sleep_long(void* argument)
{
    static_cast<SleepingProbe*>(argument)->about_to_sleep.store(true);
    sleep_ms(kLongSleepMs);
    return 0;
}

KTEST(threads, a_sleeping_thread_uses_no_cpu_time)
{
    SleepingProbe probe;
    TestThreads<1> threads;
    Thread* sleeper = threads.spawn("sleeper", sleep_long, &probe, { Priority::Normal, quiet_cpu() });
    KASSERT_TRUE(sleeper != nullptr);
    while (!probe.about_to_sleep.load() || sleeper->state() != ThreadState::Blocked
        || sleeper->m_on_cpu.load(lib::MemoryOrder::Acquire))
        sleep_ms(1);
    uint64_t before = sleeper->run_time_cycles();
    drivers::PmStopwatch stopwatch;
    threads.stop_and_wait();
    uint64_t waited_us = drivers::pm_counts_to_us(stopwatch.elapsed());
    uint64_t grew_us = cycles_to_us(sleeper->run_time_cycles() - before);
    ktest_context.diagnostic("slept {} ms on CPU {}: its run time grew by {} us in the {} us the test waited",
        kLongSleepMs, quiet_cpu(), grew_us, waited_us);
    // What it ran: the end of sleep_ms and of the thread, a few
    // microseconds, unless the host stalls the virtual CPU in them (a full
    // suite run saw over 1 ms once); a sleep that spun or halted on the CPU
    // would add the whole 100 ms, so a tenth still tells the two apart.
    KEXPECT_LT(grew_us * 10, kLongSleepMs * 1000);
}

uint64_t add_one_to_argument(void* argument)
{
    return reinterpret_cast<uint64_t>(argument) + 1;
}

constexpr unsigned kThreadsToSpawn = 10000;
constexpr unsigned kSpawnBatch = 64;

KTEST_DEFINE(threads, ten_thousand_threads_spawned_and_joined_leave_nothing_behind, 0, 180000)
{
    size_t threads_before = thread_count();
    uint64_t start = arch::read_timestamp_counter();
    unsigned joined = 0;
    uint64_t wrong_results = 0;
    unsigned short_batches = 0;
    while (joined < kThreadsToSpawn) {
        TestThreads<kSpawnBatch> batch;
        unsigned first = joined;
        for (unsigned i = 0; i < kSpawnBatch && first + i < kThreadsToSpawn; ++i) {
            ThreadError error = ThreadError::OutOfMemory;
            bool spawned = batch.spawn("short", add_one_to_argument,
                               reinterpret_cast<void*>(uint64_t { first + i }), {}, &error)
                != nullptr;
            if (spawned)
                continue;
            // A small machine (the smallest memory that boots) has no frames
            // for 64 stacks at once: a batch cut short is joined and the run
            // goes on; a batch that cannot spawn even one thread fails.
            if (i == 0 || error != ThreadError::OutOfStackSlots) {
                ktest_context.diagnostic("spawn {} failed: {}", first + i, thread_error_name(error));
                KASSERT_TRUE(spawned);
            }
            ++short_batches;
            break;
        }
        batch.join_all();
        for (size_t i = 0; i < batch.count(); ++i)
            wrong_results += batch.result(i) != first + i + 1 ? 1 : 0;
        joined += static_cast<unsigned>(batch.count());
    }
    uint64_t elapsed_us = cycles_to_us(arch::read_timestamp_counter() - start);
    ktest_context.diagnostic("{} threads in batches of {} on {} CPUs: {} ms, {} us a thread", joined,
        kSpawnBatch, arch::cpu_count_online(), elapsed_us / 1000, elapsed_us / joined);
    if (short_batches != 0)
        ktest_context.diagnostic("{} batches cut short: no frames left for more stacks", short_batches);
    KEXPECT_EQ(wrong_results, 0u);
    KEXPECT_EQ(thread_count(), threads_before);
}

} // namespace
} // namespace sched
