// Kernel tests of sync::Mutex (issue 14): mutual exclusion and exact
// totals with threads on every CPU, some of which sleep while holding it
// (so waiters block on the wait queue, not only on the fast path), and
// ownership.

#include <stdint.h>

#include "arch/cpu.h"
#include "ktest/ktest.h"
#include "lib/atomic.h"
#include "sched/scheduler.h"
#include "sched/thread.h"
#include "sync/mutex.h"
#include "sync/thread_crew_for_tests.h"

namespace sync {
namespace {

constexpr unsigned kTortureThreadsPerCpu = 2;
constexpr unsigned kTortureUnpinnedThreads = 2;
constexpr unsigned kIncrementsPerThread = 3000;
// Every so often the holder yields inside: the others then find the mutex
// taken for a while and block.
constexpr unsigned kYieldInsideEvery = 64;
constexpr unsigned kPausesInside = 4;

struct TortureShared {
    Mutex mutex { "mutex torture" };
    // Plain, and read and written through volatile: a lost update shows
    // as a short total.
    uint64_t counter = 0;
    uint64_t checksum = 0;
    uint64_t inside = 0;
    lib::Atomic<uint64_t> overlaps = 0; // entries that found another thread inside
};

struct TortureThread {
    TortureShared* shared;
    uint64_t weight; // what the thread adds to the checksum each time
};

uint64_t torture_thread(void* argument)
{
    auto& self = *static_cast<TortureThread*>(argument);
    TortureShared& shared = *self.shared;
    volatile uint64_t& counter = shared.counter;
    volatile uint64_t& checksum = shared.checksum;
    volatile uint64_t& inside = shared.inside;
    for (unsigned i = 0; i < kIncrementsPerThread; ++i) {
        MutexGuard guard(shared.mutex);
        if (inside != 0)
            shared.overlaps.fetch_add(1, lib::MemoryOrder::Relaxed);
        inside = 1;
        uint64_t value = counter;
        for (unsigned pause = 0; pause < kPausesInside; ++pause)
            arch::cpu_relax();
        counter = value + 1;
        checksum = checksum + self.weight;
        if (i % kYieldInsideEvery == 0)
            sched::yield();
        inside = 0;
    }
    return 0;
}

KTEST(mutex, torture_on_every_cpu_keeps_exact_totals)
{
    static TortureShared shared;
    static TortureThread threads[ThreadCrew::kMaxThreads];
    shared.counter = shared.checksum = shared.inside = 0;
    shared.overlaps.store(0);
    size_t planned = ThreadCrew::planned(kTortureThreadsPerCpu, kTortureUnpinnedThreads);
    KASSERT_LE(planned, ThreadCrew::kMaxThreads);
    uint64_t expected_checksum = 0;
    for (size_t i = 0; i < planned; ++i) {
        threads[i] = { &shared, 1000003 * (i + 1) };
        expected_checksum += threads[i].weight * kIncrementsPerThread;
    }
    ThreadCrew crew;
    bool spawned = crew.spawn(
        "mutex-torture", torture_thread, threads, kTortureThreadsPerCpu, kTortureUnpinnedThreads);
    size_t started = crew.count();
    crew.join_all();
    KASSERT_TRUE(spawned);
    ktest_context.diagnostic("{} threads, {} increments each", started, kIncrementsPerThread);
    KEXPECT_EQ(shared.overlaps.load(), 0u);
    KEXPECT_EQ(shared.counter, uint64_t(started) * kIncrementsPerThread);
    KEXPECT_EQ(shared.checksum, expected_checksum);
    KEXPECT_TRUE(shared.mutex.owner() == nullptr);
}

struct OwnershipShared {
    Mutex mutex { "ownership" };
    lib::Atomic<bool> try_lock_result = true;
    sched::Thread* owner_seen = nullptr;
};

uint64_t try_lock_from_other_thread(void* argument)
{
    auto& shared = *static_cast<OwnershipShared*>(argument);
    shared.owner_seen = shared.mutex.owner();
    shared.try_lock_result.store(shared.mutex.try_lock());
    if (shared.try_lock_result.load())
        shared.mutex.unlock();
    return 0;
}

KTEST(mutex, records_its_owner_and_try_lock_fails_while_held)
{
    static OwnershipShared shared;
    KEXPECT_TRUE(shared.mutex.try_lock());
    KEXPECT_TRUE(shared.mutex.owner() == sched::current_thread());
    KEXPECT_TRUE(shared.mutex.is_held_by_current_thread());
    auto other = sched::spawn("mutex-try", try_lock_from_other_thread, &shared);
    KASSERT_TRUE(other.has_value());
    sched::join(other.value());
    KEXPECT_FALSE(shared.try_lock_result.load());
    KEXPECT_TRUE(shared.owner_seen == sched::current_thread());
    shared.mutex.unlock();
    KEXPECT_TRUE(shared.mutex.owner() == nullptr);
    // Free now: the other thread takes it.
    auto second = sched::spawn("mutex-try", try_lock_from_other_thread, &shared);
    KASSERT_TRUE(second.has_value());
    sched::join(second.value());
    KEXPECT_TRUE(shared.try_lock_result.load());
    KEXPECT_TRUE(shared.owner_seen == nullptr);
}

KTEST(mutex, mutexed_reaches_its_value_with_the_mutex_held)
{
    static Mutexed<uint64_t> value("mutexed value", 41);
    uint64_t seen = value.with([](uint64_t& inner) { return ++inner; });
    KEXPECT_EQ(seen, 42u);
    KEXPECT_TRUE(value.mutex().owner() == nullptr);
    value.with([&](uint64_t&) { KEXPECT_TRUE(value.mutex().is_held_by_current_thread()); });
}

} // namespace
} // namespace sync
