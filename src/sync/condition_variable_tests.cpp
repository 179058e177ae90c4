// Kernel tests of sync::ConditionVariable (issue 14): producers and
// consumers on every CPU (and unpinned ones) pass numbered items through
// a bounded ring under one mutex and two condition variables; every item
// arrives exactly once and the totals are exact.

#include <stdint.h>

#include "ktest/ktest.h"
#include "lib/atomic.h"
#include "sync/condition_variable.h"
#include "sync/mutex.h"
#include "sync/thread_crew_for_tests.h"

namespace sync {
namespace {

constexpr unsigned kRingSlots = 16;
constexpr unsigned kItemsPerProducer = 1500;
constexpr unsigned kProducersPerCpu = 1;
constexpr unsigned kUnpinnedProducers = 2;
constexpr unsigned kConsumersPerCpu = 1;
constexpr unsigned kUnpinnedConsumers = 2;
constexpr size_t kMaxProducers = arch::kMaxCpus * kProducersPerCpu + kUnpinnedProducers;
constexpr size_t kMaxItems = kMaxProducers * kItemsPerProducer;

struct Ring {
    Mutex mutex { "producer/consumer ring" };
    ConditionVariable not_full;
    ConditionVariable not_empty;
    uint64_t slots[kRingSlots] = {};
    unsigned head = 0; // the next to take
    unsigned count = 0;
    uint64_t taken = 0; // items taken so far
    uint64_t total = 0; // items that will be sent in all
    // Outside the mutex, so they check it instead of trusting it.
    lib::Atomic<uint8_t> received[kMaxItems] = {};
    lib::Atomic<uint64_t> sum_received = 0;
};

struct Worker {
    Ring* ring;
    uint64_t first_item; // a producer sends first_item .. first_item + kItemsPerProducer - 1
};

uint64_t producer(void* argument)
{
    auto& self = *static_cast<Worker*>(argument);
    Ring& ring = *self.ring;
    for (uint64_t item = self.first_item; item < self.first_item + kItemsPerProducer; ++item) {
        MutexGuard guard(ring.mutex);
        ring.not_full.wait(guard, [&ring] { return ring.count < kRingSlots; });
        ring.slots[(ring.head + ring.count) % kRingSlots] = item;
        ++ring.count;
        ring.not_empty.notify_one();
    }
    return 0;
}

uint64_t consumer(void* argument)
{
    Ring& ring = *static_cast<Worker*>(argument)->ring;
    uint64_t mine = 0;
    for (;;) {
        uint64_t item;
        {
            MutexGuard guard(ring.mutex);
            ring.not_empty.wait(guard, [&ring] { return ring.count != 0 || ring.taken == ring.total; });
            if (ring.count == 0)
                return mine; // all taken
            item = ring.slots[ring.head];
            ring.head = (ring.head + 1) % kRingSlots;
            --ring.count;
            if (++ring.taken == ring.total)
                ring.not_empty.notify_all(); // the other consumers can stop
            ring.not_full.notify_one();
        }
        if (item < kMaxItems)
            ring.received[item].fetch_add(1, lib::MemoryOrder::Relaxed);
        ring.sum_received.fetch_add(item, lib::MemoryOrder::Relaxed);
        ++mine;
    }
}

KTEST(condition, producer_consumer_over_a_bounded_ring_delivers_each_item_once)
{
    static Ring ring;
    static Worker producers[kMaxProducers];
    static Worker consumers[ThreadCrew::kMaxThreads];
    ring.head = ring.count = 0;
    ring.taken = 0;
    ring.sum_received.store(0);
    for (auto& count : ring.received)
        count.store(0, lib::MemoryOrder::Relaxed);
    size_t producer_count = ThreadCrew::planned(kProducersPerCpu, kUnpinnedProducers);
    KASSERT_LE(producer_count, kMaxProducers);
    ring.total = uint64_t(producer_count) * kItemsPerProducer;
    uint64_t expected_sum = ring.total * (ring.total - 1) / 2; // items 0 .. total-1
    for (size_t i = 0; i < producer_count; ++i)
        producers[i] = { &ring, i * kItemsPerProducer };
    for (auto& worker : consumers)
        worker = { &ring, 0 };

    ThreadCrew consumer_crew, producer_crew;
    bool spawned = consumer_crew.spawn("consumer", consumer, consumers, kConsumersPerCpu, kUnpinnedConsumers);
    spawned = spawned
        && producer_crew.spawn("producer", producer, producers, kProducersPerCpu, kUnpinnedProducers);
    if (!spawned) {
        // The consumers wait for items that will never come: end them.
        MutexGuard guard(ring.mutex);
        ring.total = ring.taken + ring.count;
        ring.not_empty.notify_all();
    }
    producer_crew.join_all();
    uint64_t consumed = consumer_crew.join_all();
    KASSERT_TRUE(spawned);
    ktest_context.diagnostic(
        "{} producers sent {} items each through {} slots", producer_count, kItemsPerProducer, kRingSlots);
    KEXPECT_EQ(consumed, ring.total);
    KEXPECT_EQ(ring.taken, ring.total);
    KEXPECT_EQ(ring.count, 0u);
    KEXPECT_EQ(ring.sum_received.load(), expected_sum);
    uint64_t wrong = 0, first_wrong = 0;
    for (uint64_t item = 0; item < ring.total; ++item) {
        if (ring.received[item].load(lib::MemoryOrder::Relaxed) != 1 && wrong++ == 0)
            first_wrong = item;
    }
    if (wrong != 0)
        ktest_context.diagnostic("item {} arrived {} times", first_wrong, ring.received[first_wrong].load());
    KEXPECT_EQ(wrong, 0u);
}

} // namespace
} // namespace sync
