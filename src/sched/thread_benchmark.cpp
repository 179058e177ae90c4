#include "sched/thread_benchmark.h"

#include <stddef.h>

#include <new>

#include "arch/cpu.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "lib/atomic.h"
#include "lib/format.h"
#include "lib/insertion_sort.h"
#include "mm/kernel_heap.h"
#include "sched/scheduler.h"
#include "sched/thread.h"
#include "sched/wait_queue.h"

namespace sched {
namespace {

constexpr unsigned kYieldsPerThread = 5000;
constexpr unsigned kSpawnJoinPairs = 200;
constexpr unsigned kWakeUpRounds = 200;
constexpr uint64_t kIdleBeforeWakeUpUs = 50;
constexpr unsigned kSleepRounds = 50;

Thread* spawn_or_panic(const char* name, ThreadFunction function, void* argument, SpawnOptions options)
{
    auto spawned = spawn(name, function, argument, options);
    if (!spawned)
        PANIC("thread benchmark: spawn '{}' failed: {}", name, thread_error_name(spawned.error()));
    return spawned.value();
}

// Samples in a heap array, for a median and a maximum.
class Samples {
public:
    explicit Samples(unsigned capacity)
        : m_values(static_cast<uint64_t*>(mm::kalloc(capacity * sizeof(uint64_t))))
        , m_capacity(capacity)
    {
        if (m_values == nullptr)
            PANIC("thread benchmark: no memory for {} samples", capacity);
    }
    ~Samples() { mm::kfree(m_values); }
    Samples(const Samples&) = delete;
    Samples& operator=(const Samples&) = delete;

    void set(unsigned index, uint64_t value) { m_values[index] = value; }
    void sort() { lib::insertion_sort(m_values, m_capacity); }
    unsigned count() const { return m_capacity; }
    uint64_t median() const { return m_values[m_capacity / 2]; }
    uint64_t maximum() const { return m_values[m_capacity - 1]; }

private:
    uint64_t* m_values;
    unsigned m_capacity;
};

// "[BENCH] threads <name>_median ..." and "..._max ...": the spread of
// the samples (sorted here), what they are in how.
void log_median_and_maximum(const char* name, Samples& samples, const char* how)
{
    samples.sort();
    kernel::log(kernel::LogTag::Bench, "threads {}_median {} cycles (median of {}: {})", name,
        samples.median(), samples.count(), how);
    kernel::log(kernel::LogTag::Bench, "threads {}_max {} cycles (maximum of {}: {})", name,
        samples.maximum(), samples.count(), how);
}

// Two threads pinned to one CPU yield to each other: each yield is a
// switch, which the CPU's switch counter confirms.
struct PingPong {
    unsigned cpu;
    lib::Atomic<unsigned> ready = 0;
    lib::Atomic<unsigned> finished = 0;
    uint64_t start_tsc = 0, end_tsc = 0;
    uint64_t start_switches = 0, end_switches = 0;
};

uint64_t ping_pong(void* argument)
{
    auto& game = *static_cast<PingPong*>(argument);
    if (game.ready.fetch_add(1) == 1) {
        // The second to arrive starts the clock; the first is on the queue.
        game.start_switches = scheduler_statistics(game.cpu).switches;
        game.start_tsc = arch::read_timestamp_counter();
    } else {
        while (game.ready.load() < 2)
            yield();
    }
    for (unsigned i = 0; i < kYieldsPerThread; ++i)
        yield();
    if (game.finished.fetch_add(1) == 1) {
        game.end_tsc = arch::read_timestamp_counter();
        game.end_switches = scheduler_statistics(game.cpu).switches;
    }
    return 0;
}

void measure_context_switch()
{
    PingPong game;
    game.cpu = arch::current_cpu_index();
    Thread* first = spawn_or_panic("bench-ping", ping_pong, &game, { Priority::Normal, game.cpu });
    Thread* second = spawn_or_panic("bench-pong", ping_pong, &game, { Priority::Normal, game.cpu });
    join(first);
    join(second);
    uint64_t switches = game.end_switches - game.start_switches;
    if (switches == 0)
        PANIC("thread benchmark: no switches between two yielding threads on CPU {}", game.cpu);
    kernel::log(kernel::LogTag::Bench,
        "threads context_switch_same_cpu {} cycles (per switch: 2 threads pinned to CPU {} yield {} times "
        "each, "
        "{} switches)",
        (game.end_tsc - game.start_tsc) / switches, game.cpu, kYieldsPerThread, switches);
}

uint64_t return_at_once(void*)
{
    return 0;
}

void measure_spawn_join()
{
    unsigned cpu = arch::current_cpu_index();
    uint64_t start = arch::read_timestamp_counter();
    for (unsigned i = 0; i < kSpawnJoinPairs; ++i)
        join(spawn_or_panic("bench-spawned", return_at_once, nullptr, { Priority::Normal, cpu }));
    uint64_t cycles = (arch::read_timestamp_counter() - start) / kSpawnJoinPairs;
    kernel::log(kernel::LogTag::Bench,
        "threads spawn_join {} cycles (per pair: spawn a thread that returns at once on CPU {}, join it; {} "
        "pairs)",
        cycles, cpu, kSpawnJoinPairs);
}

// A thread blocked on another CPU, woken from this one: the latency from
// the waker's TSC just before wake_all to the woken thread's first TSC.
struct WakeUps {
    WaitQueue queue;
    lib::Atomic<unsigned> posted = 0; // rounds the waker has started
    lib::Atomic<unsigned> seen = 0; // rounds the sleeper has timed
    uint64_t woken_at[kWakeUpRounds] = {};
};

uint64_t wait_for_wake_ups(void* argument)
{
    auto& wake_ups = *static_cast<WakeUps*>(argument);
    for (unsigned round = 1; round <= kWakeUpRounds; ++round) {
        wake_ups.queue.wait_until([&] { return wake_ups.posted.load(lib::MemoryOrder::Acquire) >= round; });
        wake_ups.woken_at[round - 1] = arch::read_timestamp_counter();
        wake_ups.seen.store(round, lib::MemoryOrder::Release);
    }
    return 0;
}

void measure_cross_cpu_wake_up(uint64_t tsc_cycles_per_ms)
{
    uint64_t idle_cycles = tsc_cycles_per_ms * kIdleBeforeWakeUpUs / 1000;
    unsigned waker_cpu = arch::current_cpu_index();
    unsigned online = arch::cpu_count_online();
    if (online < 2) {
        kernel::log(
            kernel::LogTag::Boot, "bench: threads wake-up from another CPU not measured: one CPU online");
        return;
    }
    unsigned sleeper_cpu = waker_cpu == 1 ? 0 : 1;
    void* memory = mm::kalloc(sizeof(WakeUps), alignof(WakeUps));
    if (memory == nullptr)
        PANIC("thread benchmark: no memory for the wake-up rounds");
    auto* wake_ups = new (memory) WakeUps;
    Thread* sleeper
        = spawn_or_panic("bench-sleeper", wait_for_wake_ups, wake_ups, { Priority::Normal, sleeper_cpu });
    Samples latencies(kWakeUpRounds);
    for (unsigned round = 1; round <= kWakeUpRounds; ++round) {
        // Blocked and switched out (a thread woken while still switching
        // away just stays on its CPU), then its CPU left idle a while, long
        // enough to halt: the wake-up is a whole one.
        while (sleeper->state() != ThreadState::Blocked || sleeper->m_on_cpu.load(lib::MemoryOrder::Acquire))
            arch::cpu_relax();
        uint64_t idle_until = arch::read_timestamp_counter() + idle_cycles;
        while (arch::read_timestamp_counter() < idle_until)
            arch::cpu_relax();
        uint64_t woken_by = arch::read_timestamp_counter();
        wake_ups->posted.store(round, lib::MemoryOrder::Release);
        wake_ups->queue.wake_all();
        while (wake_ups->seen.load(lib::MemoryOrder::Acquire) < round)
            arch::cpu_relax();
        uint64_t woken_at = wake_ups->woken_at[round - 1];
        latencies.set(round - 1, woken_at > woken_by ? woken_at - woken_by : 0);
    }
    join(sleeper);
    wake_ups->~WakeUps();
    mm::kfree(wake_ups);
    // QEMU's CPUs read the host's TSC: their TSCs agree, so a difference
    // between two CPUs' readings is a time.
    char how[120];
    lib::format_to_buffer(how, sizeof(how),
        "a thread blocked on a wait queue on CPU {}, its CPU idle {} us, woken from CPU {}; TSC to TSC",
        sleeper_cpu, kIdleBeforeWakeUpUs, waker_cpu);
    log_median_and_maximum("wake_up_cross_cpu", latencies, how);
}

void measure_sleep_overshoot(uint64_t tsc_cycles_per_ms)
{
    Samples overshoots(kSleepRounds);
    for (unsigned round = 0; round < kSleepRounds; ++round) {
        uint64_t start = arch::read_timestamp_counter();
        sleep_ms(1);
        uint64_t slept = arch::read_timestamp_counter() - start;
        overshoots.set(round, slept > tsc_cycles_per_ms ? slept - tsc_cycles_per_ms : 0);
    }
    char how[80];
    lib::format_to_buffer(how, sizeof(how), "sleep_ms(1) past 1 ms at {} cycles/ms", tsc_cycles_per_ms);
    log_median_and_maximum("sleep_1ms_overshoot", overshoots, how);
}

} // namespace

void measure_thread_cycles(uint64_t tsc_cycles_per_ms)
{
    if (!scheduler_running()) {
        kernel::log(kernel::LogTag::Boot, "bench: threads not measured: the scheduler does not run");
        return;
    }
    measure_context_switch();
    measure_spawn_join();
    measure_cross_cpu_wake_up(tsc_cycles_per_ms);
    measure_sleep_overshoot(tsc_cycles_per_ms);
}

} // namespace sched
