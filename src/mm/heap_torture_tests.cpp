// The kernel heap under contention from every CPU at once (issue 13). Each
// CPU keeps a table of live blocks and, for kHeapTortureRounds rounds of
// kHeapTortureOpsPerRound operations, picks a slot at random: an empty one gets a
// block of a random size (1 to 4096 bytes mostly, now and then up to
// 16 KiB) and alignment (8 to 4096), filled with a pattern naming the CPU,
// the slot and a generation; a full one has its pattern checked and is
// freed. Between rounds the CPUs meet at a barrier and the first of them
// audits the whole heap while the others wait. At the end every block is
// freed and the heap's statistics must show exactly the operations the
// CPUs counted, with the bytes in use back where they were. A heap whose
// lock let two CPUs in at once hands out a block twice (a pattern check
// fails) or tears its lists (the heap or its audit panics). Under -smp 1
// it is the same test on one CPU.

#include <stddef.h>
#include <stdint.h>

#include "ktest/all_cpus.h"
#include "ktest/ktest.h"
#include "ktest/owners.h"
#include "ktest/torture_scale.h"
#include "lib/xorshift_random.h"
#include "mm/kernel_heap.h"

namespace mm {
namespace {

constexpr unsigned kHeapTortureRounds = 4;
constexpr unsigned kHeapTortureOpsPerRound = 25000;
constexpr unsigned kHeapTortureSlots = 64;

struct LiveBlock {
    uint8_t* data; // nullptr: the slot is empty
    size_t size;
    uint64_t tag;
};

void fill_pattern(const LiveBlock& block)
{
    auto* words = reinterpret_cast<uint64_t*>(block.data);
    size_t word_count = block.size / 8;
    for (size_t i = 0; i < word_count; ++i)
        words[i] = ktest::tag_word(block.tag, i);
    // Bytes past the last whole word hold the tag's low byte.
    for (size_t i = word_count * 8; i < block.size; ++i)
        block.data[i] = static_cast<uint8_t>(block.tag);
}

// Records the first word or byte that differs from the pattern.
void check_pattern(const LiveBlock& block, ktest::CpuFailure& failure)
{
    const auto* words = reinterpret_cast<const uint64_t*>(block.data);
    size_t word_count = block.size / 8;
    for (size_t i = 0; i < word_count; ++i) {
        if (words[i] != ktest::tag_word(block.tag, i)) {
            failure.record("block pattern overwritten", reinterpret_cast<uintptr_t>(&words[i]),
                ktest::tag_word(block.tag, i), words[i]);
            return;
        }
    }
    for (size_t i = word_count * 8; i < block.size; ++i) {
        if (block.data[i] != static_cast<uint8_t>(block.tag)) {
            failure.record("block pattern overwritten", reinterpret_cast<uintptr_t>(&block.data[i]),
                static_cast<uint8_t>(block.tag), block.data[i]);
            return;
        }
    }
}

size_t random_torture_size(lib::XorshiftRandom& random)
{
    uint64_t kind = random.below(32);
    if (kind < 16)
        return 1 + random.below(256);
    if (kind < 31)
        return 1 + random.below(4096);
    return 4097 + random.below(12288);
}

class HeapTorture : public ktest::SlotTorture<HeapTorture, LiveBlock, kHeapTortureSlots> {
public:
    explicit HeapTorture(LiveBlock* rows)
        : SlotTorture(rows, kHeapTortureRounds, ktest::torture_operations(kHeapTortureOpsPerRound))
    {
    }

    static bool is_full(const LiveBlock& block) { return block.data != nullptr; }

    static void fill(LiveBlock& block, uint64_t tag, lib::XorshiftRandom& random, ktest::CpuCounts& counts,
        ktest::CpuFailure& failure)
    {
        size_t size = random_torture_size(random);
        size_t alignment = size_t(8) << random.below(10);
        void* memory = kalloc(size, alignment);
        if (memory == nullptr) {
            ++counts.out_of_memory;
            return;
        }
        ++counts.allocations;
        if (reinterpret_cast<uintptr_t>(memory) % alignment != 0)
            failure.record("block misaligned", reinterpret_cast<uintptr_t>(memory), alignment, 0);
        block = LiveBlock { static_cast<uint8_t*>(memory), size, tag };
        fill_pattern(block);
    }

    static void empty(LiveBlock& block, ktest::CpuCounts& counts, ktest::CpuFailure& failure)
    {
        check_pattern(block, failure);
        kfree(block.data);
        ++counts.frees;
        block.data = nullptr;
    }

    static void between_rounds() { audit_kernel_heap(); }
};

} // namespace

KTEST_DEFINE(heap_torture, every_cpu_allocates_and_frees_at_once, 0, 60000)
{
    // The tables come from the heap before the statistics are taken.
    ktest::OwnedBlock tables(sizeof(LiveBlock) * kHeapTortureSlots * ktest::kMaxTestCpus, alignof(LiveBlock));
    KASSERT_TRUE(tables);
    HeapTorture torture(tables.as<LiveBlock>());

    HeapStatistics before = kernel_heap_statistics();
    ktest::run_on_every_cpu(torture);
    HeapStatistics after = kernel_heap_statistics();

    ktest::report_counts(ktest_context, "heap", kHeapTortureRounds,
        ktest::torture_operations(kHeapTortureOpsPerRound), torture.counts);
    uint64_t allocations = 0;
    uint64_t frees = 0;
    for (const ktest::CpuCounts& counts : torture.counts) {
        allocations += counts.allocations;
        frees += counts.frees;
    }
    KEXPECT_TRUE(ktest::no_cpu_failed(ktest_context, torture.failures));
    KEXPECT_EQ(after.allocations - before.allocations, allocations);
    KEXPECT_EQ(after.frees - before.frees, frees);
    KEXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
    KEXPECT_EQ(after.live_allocations, before.live_allocations);
    audit_kernel_heap();
}

} // namespace mm
