#pragma once

// For kernel tests whose body runs on every online CPU at once (the
// torture tests of issue 13): the body is called on each CPU through
// kernel::run_on_cpus, CPUs meet at barriers between rounds, each CPU draws
// from its own random sequence, and each records its first failure for the
// test (on the calling CPU) to report, since only that CPU reports KTAP.

#include <stddef.h>
#include <stdint.h>

#include "arch/cpu.h"
#include "kernel/cross_cpu_call.h"
#include "ktest/ktest.h"
#include "lib/atomic.h"
#include "lib/xorshift_random.h"

namespace ktest {

// Per-CPU tables in the tests have a row for every CPU the kernel can run.
inline constexpr unsigned kMaxTestCpus = arch::kMaxCpus;

// Calls body(cpu_index) on every online CPU, the calling one included, and
// returns when all have returned.
template <typename Body>
void run_on_every_cpu(Body& body)
{
    kernel::run_on_cpus(
        kernel::CpuSet::all_online(),
        +[](void* argument) { (*static_cast<Body*>(argument))(arch::current_cpu_index()); }, &body);
}

// Holds each CPU that arrives until all `count` have. Reusable: the last
// to arrive opens it by moving to the next generation.
class CpuBarrier {
public:
    explicit CpuBarrier(unsigned count)
        : m_count(count)
    {
    }
    void wait()
    {
        unsigned generation = m_generation.load();
        if (m_arrived.fetch_add(1) + 1 == m_count) {
            m_arrived.store(0);
            m_generation.store(generation + 1);
            return;
        }
        while (m_generation.load(lib::MemoryOrder::Acquire) == generation)
            arch::cpu_relax();
    }

private:
    unsigned m_count;
    lib::Atomic<unsigned> m_arrived = 0;
    lib::Atomic<unsigned> m_generation = 0;
};

// A seed for a CPU's random sequence: its index and the time stamp counter
// mixed (splitmix64's finaliser), never zero. Tests print it, so a failing
// sequence can be replayed.
inline uint64_t torture_seed(unsigned cpu)
{
    uint64_t value = arch::read_timestamp_counter() + (uint64_t(cpu) + 1) * 0x9E3779B97F4A7C15ull;
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
    value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
    value ^= value >> 31;
    return value != 0 ? value : 1;
}

// A CPU's first failure: what was wrong, where, and the value expected
// and seen. Written by that CPU only.
struct CpuFailure {
    const char* what = nullptr; // nullptr: no failure
    uint64_t address = 0;
    uint64_t expected = 0;
    uint64_t seen = 0;

    bool any() const { return what != nullptr; }
    void record(const char* description, uint64_t at, uint64_t expected_value, uint64_t seen_value)
    {
        if (what != nullptr)
            return;
        what = description;
        address = at;
        expected = expected_value;
        seen = seen_value;
    }
};

// What one CPU did in a torture test of an allocator.
struct CpuCounts {
    uint64_t seed;
    uint64_t allocations;
    uint64_t frees;
    uint64_t out_of_memory; // allocations refused (not counted above)
    uint64_t cycles; // TSC cycles spent on the operations

    uint64_t operations() const { return allocations + frees + out_of_memory; }
};

// What an allocator torture test writes into what it holds: the CPU, the
// slot and a generation in one tag, and word i of a block or frame holds
// the tag mixed with i, so a block copied or shifted onto another is told
// apart too.
inline uint64_t slot_tag(unsigned cpu, unsigned slot, uint64_t generation)
{
    return (uint64_t(cpu) << 56) | (uint64_t(slot) << 40) | (generation & 0xFFFFFFFFFF);
}
inline uint64_t tag_word(uint64_t tag, size_t index)
{
    return tag ^ (index * 0x9E3779B97F4A7C15ull);
}

// The shape of the allocator torture tests. Each CPU holds up to kSlots
// things (blocks, frames) in its row of a table. For `rounds` rounds of
// `operations` operations, it picks a slot at random and fills it
// (allocates) when it is empty or empties it (checks and frees) when it is
// full; after each round the CPUs meet at a barrier, the lowest-numbered
// one runs between_rounds() while the others wait at the barrier again;
// at the end each CPU empties its row. Derived provides
//     static bool is_full(const Slot&);
//     void fill(Slot&, uint64_t tag, lib::XorshiftRandom&, CpuCounts&, CpuFailure&);
//     void empty(Slot&, CpuCounts&, CpuFailure&);
//     void between_rounds();
// A CPU that failed stops operating but still reaches every barrier: one
// that left early would hold the others there for good.
template <typename Derived, typename Slot, unsigned kSlots>
class SlotTorture {
public:
    // rows: kSlots * kMaxTestCpus slots, emptied here.
    SlotTorture(Slot* rows, unsigned rounds, unsigned operations)
        : m_barrier(kernel::CpuSet::all_online().count())
        , m_rows(rows)
        , m_rounds(rounds)
        , m_operations(operations)
    {
        for (size_t i = 0; i < size_t(kSlots) * kMaxTestCpus; ++i)
            m_rows[i] = Slot {};
    }

    void operator()(unsigned cpu)
    {
        auto& self = static_cast<Derived&>(*this);
        Slot* row = m_rows + size_t(cpu) * kSlots;
        CpuCounts mine {};
        CpuFailure failure {};
        mine.seed = torture_seed(cpu);
        lib::XorshiftRandom random(mine.seed);
        uint64_t generation = 0;
        unsigned first_cpu = static_cast<unsigned>(__builtin_ctzll(kernel::CpuSet::all_online().bits()));
        for (unsigned round = 0; round < m_rounds; ++round) {
            uint64_t start = arch::read_timestamp_counter();
            for (unsigned i = 0; i < m_operations && !failure.any(); ++i) {
                auto slot = static_cast<unsigned>(random.below(kSlots));
                if (Derived::is_full(row[slot]))
                    self.empty(row[slot], mine, failure);
                else
                    self.fill(row[slot], slot_tag(cpu, slot, ++generation), random, mine, failure);
            }
            mine.cycles += arch::read_timestamp_counter() - start;
            m_barrier.wait();
            if (cpu == first_cpu)
                self.between_rounds();
            m_barrier.wait();
        }
        for (unsigned slot = 0; slot < kSlots; ++slot) {
            if (Derived::is_full(row[slot]))
                self.empty(row[slot], mine, failure);
        }
        counts[cpu] = mine;
        failures[cpu] = failure;
    }

    CpuCounts counts[kMaxTestCpus] {};
    CpuFailure failures[kMaxTestCpus] {};

private:
    CpuBarrier m_barrier;
    Slot* m_rows; // kSlots a CPU, by CPU index
    unsigned m_rounds;
    unsigned m_operations;
};

// Prints on how many CPUs the test ran, then each CPU's seed, counts and speed (over the rounds' operations)
// as diagnostics of the test, and expects of each that it did every operation asked (the final frees come on
// top) and freed all it allocated.
inline void report_counts(Context& ktest_context, const char* what, unsigned rounds,
    unsigned operations_per_round, const CpuCounts (&counts)[kMaxTestCpus])
{
    kernel::CpuSet cpus = kernel::CpuSet::all_online();
    ktest_context.diagnostic("{} torture on {} CPUs, {} rounds of {} operations each", what, cpus.count(),
        rounds, operations_per_round);
    uint64_t expected_operations = uint64_t { rounds } * operations_per_round;
    for (unsigned cpu = 0; cpu < kMaxTestCpus; ++cpu) {
        if (!cpus.contains(cpu))
            continue;
        const CpuCounts& mine = counts[cpu];
        ktest_context.diagnostic(
            "cpu {}: seed {:#x}, {} allocations, {} frees, {} refused, {} cycles/operation", cpu, mine.seed,
            mine.allocations, mine.frees, mine.out_of_memory,
            mine.cycles / (expected_operations != 0 ? expected_operations : 1));
        KEXPECT_GE(mine.operations(), expected_operations);
        // Refusals count as operations, so an allocator that refused
        // everything would pass the line above: about half the operations
        // are allocations (a slot is full or empty by chance), so at least
        // a quarter must have succeeded.
        KEXPECT_GE(mine.allocations, expected_operations / 4);
        KEXPECT_EQ(mine.allocations, mine.frees);
    }
}

// Prints each CPU's failure as a diagnostic of the test; false if any.
inline bool no_cpu_failed(Context& context, const CpuFailure (&failures)[kMaxTestCpus])
{
    bool none = true;
    for (unsigned cpu = 0; cpu < kMaxTestCpus; ++cpu) {
        const CpuFailure& failure = failures[cpu];
        if (!failure.any())
            continue;
        none = false;
        context.diagnostic("cpu {}: {} at {:#x}: expected {:#x}, seen {:#x}", cpu, failure.what,
            failure.address, failure.expected, failure.seen);
    }
    return none;
}

} // namespace ktest
