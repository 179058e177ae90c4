// Kernel tests of the heap on real frames and page tables, from the seed's
// list: blocks do not overlap, every alignment from 1 to 4096 is honoured,
// the statistics follow every call, long-lived blocks survive churn (what
// breaks a bump allocator), 100000 random operations keep every invariant,
// and memory goes back to the frame allocator.

#include <stddef.h>
#include <stdint.h>

#include "ktest/ktest.h"
#include "mm/kernel_heap.h"
#include "mm/physical_memory.h"

namespace mm {
namespace {

// xorshift64*: a repeatable sequence, so a failure can be replayed.
class Random {
public:
    explicit Random(uint64_t seed)
        : m_state(seed)
    {
    }
    uint64_t next()
    {
        m_state ^= m_state >> 12;
        m_state ^= m_state << 25;
        m_state ^= m_state >> 27;
        return m_state * 0x2545F4914F6CDD1Dull;
    }
    uint64_t below(uint64_t bound) { return next() % bound; }

private:
    uint64_t m_state;
};

struct Block {
    uint8_t* data;
    size_t size;
    uint8_t fill;
};

// Allocates and fills; nullptr data if the heap refused.
Block make_block(size_t size, size_t alignment, uint8_t fill)
{
    Block block { static_cast<uint8_t*>(kalloc(size, alignment)), size, fill };
    for (size_t i = 0; block.data != nullptr && i < size; ++i)
        block.data[i] = fill;
    return block;
}

// The offset of the first byte that no longer holds the fill, or size: a
// block that overlaps another, or that the heap reused while live, shows.
size_t first_changed_byte(const Block& block)
{
    for (size_t i = 0; i < block.size; ++i) {
        if (block.data[i] != block.fill)
            return i;
    }
    return block.size;
}

size_t random_size(Random& random)
{
    uint64_t kind = random.below(100);
    if (kind < 70)
        return random.below(257);
    if (kind < 95)
        return 257 + random.below(3840);
    return 4097 + random.below(60000);
}

} // namespace

KTEST(heap, test_allocation_is_usable)
{
    auto* words = static_cast<uint64_t*>(kalloc(64, 8));
    KASSERT_TRUE(words != nullptr);
    KEXPECT_EQ(reinterpret_cast<uintptr_t>(words) % 8, 0u);
    KEXPECT_GE(reinterpret_cast<uintptr_t>(words), kHeapArenaBase);
    for (uint64_t i = 0; i < 8; ++i)
        words[i] = 0x5241594F53000000ull + i;
    for (uint64_t i = 0; i < 8; ++i)
        KEXPECT_EQ(words[i], 0x5241594F53000000ull + i);
    kfree(words);
}

KTEST(heap, blocks_do_not_overlap)
{
    constexpr size_t kCount = 1000;
    auto* blocks = static_cast<Block*>(kalloc(kCount * sizeof(Block), alignof(Block)));
    KASSERT_TRUE(blocks != nullptr);
    Random random(1);
    for (size_t i = 0; i < kCount; ++i) {
        blocks[i] = make_block(1 + random.below(2048), 16, static_cast<uint8_t>(i));
        KASSERT_TRUE(blocks[i].data != nullptr);
    }
    // Sorted by address (insertion sort: no library), each block ends
    // before the next begins, and all still hold their fill.
    for (size_t i = 1; i < kCount; ++i) {
        for (size_t j = i; j > 0 && blocks[j - 1].data > blocks[j].data; --j) {
            Block swap = blocks[j];
            blocks[j] = blocks[j - 1];
            blocks[j - 1] = swap;
        }
    }
    for (size_t i = 0; i < kCount; ++i) {
        KEXPECT_EQ(first_changed_byte(blocks[i]), blocks[i].size);
        if (i > 0)
            KEXPECT_LE(blocks[i - 1].data + blocks[i - 1].size, blocks[i].data);
    }
    for (size_t i = 0; i < kCount; ++i)
        kfree(blocks[i].data);
    kfree(blocks);
}

KTEST(heap, every_alignment_up_to_a_page)
{
    constexpr size_t kSizes[] = { 1, 8, 24, 64, 100, 1000, 4096, 10000 };
    for (size_t alignment = 1; alignment <= 4096; alignment *= 2) {
        for (size_t size : kSizes) {
            Block block = make_block(size, alignment, 0x5A);
            KASSERT_TRUE(block.data != nullptr);
            KEXPECT_EQ(reinterpret_cast<uintptr_t>(block.data) % alignment, 0u);
            KEXPECT_EQ(first_changed_byte(block), size);
            kfree(block.data);
        }
    }
}

KTEST(heap, statistics_follow_every_call)
{
    HeapStatistics before = kernel_heap_statistics();
    constexpr size_t kSizes[] = { 1, 64, 500, 4000, 70000 };
    uint8_t* blocks[5];
    size_t total = 0;
    for (size_t i = 0; i < 5; ++i) {
        blocks[i] = static_cast<uint8_t*>(kalloc(kSizes[i]));
        KASSERT_TRUE(blocks[i] != nullptr);
        total += kSizes[i];
    }
    HeapStatistics during = kernel_heap_statistics();
    KEXPECT_EQ(during.bytes_in_use, before.bytes_in_use + total);
    KEXPECT_EQ(during.live_allocations, before.live_allocations + 5);
    KEXPECT_EQ(during.allocations, before.allocations + 5);
    KEXPECT_GE(during.peak_bytes_in_use, during.bytes_in_use);
    KEXPECT_GT(during.block_bytes_in_use, during.bytes_in_use);
    KEXPECT_EQ(during.bytes_held, during.pages_held * 4096);
    for (uint8_t* block : blocks)
        kfree(block);
    HeapStatistics after = kernel_heap_statistics();
    KEXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
    KEXPECT_EQ(after.frees, before.frees + 5);
    KEXPECT_EQ(after.live_allocations, before.live_allocations);
}

KTEST(heap, long_lived_blocks_survive_churn)
{
    constexpr size_t kLongLived = 2000;
    constexpr size_t kChurn = 50000;
    auto* keep = static_cast<Block*>(kalloc(kLongLived * sizeof(Block), alignof(Block)));
    KASSERT_TRUE(keep != nullptr);
    Random random(2);
    for (size_t i = 0; i < kLongLived; ++i) {
        keep[i] = make_block(1 + random.below(512), 16, static_cast<uint8_t>(i * 7));
        KASSERT_TRUE(keep[i].data != nullptr);
    }
    for (size_t i = 0; i < kChurn; ++i) {
        Block temporary = make_block(random_size(random), 16, 0xC3);
        KASSERT_TRUE(temporary.data != nullptr);
        KASSERT_EQ(first_changed_byte(temporary), temporary.size);
        kfree(temporary.data);
    }
    for (size_t i = 0; i < kLongLived; ++i) {
        KEXPECT_EQ(first_changed_byte(keep[i]), keep[i].size);
        kfree(keep[i].data);
    }
    kfree(keep);
}

KTEST(heap, random_operations_keep_every_invariant)
{
    constexpr size_t kOperations = 100000;
    constexpr size_t kSlots = 1024;
    auto* live = static_cast<Block*>(kalloc(kSlots * sizeof(Block), alignof(Block)));
    KASSERT_TRUE(live != nullptr);
    size_t live_count = 0;
    Random random(3);
    uint64_t expected_in_use = kernel_heap_statistics().bytes_in_use;
    for (size_t op = 0; op < kOperations; ++op) {
        bool allocate = live_count == 0 || (live_count < kSlots && random.below(100) < 55);
        if (allocate) {
            size_t alignment = random.below(8) == 0 ? size_t(1) << random.below(13) : 16;
            live[live_count]
                = make_block(random_size(random), alignment, static_cast<uint8_t>(random.next()));
            KASSERT_TRUE(live[live_count].data != nullptr);
            KASSERT_EQ(reinterpret_cast<uintptr_t>(live[live_count].data) % alignment, 0u);
            expected_in_use += live[live_count].size;
            ++live_count;
        } else {
            size_t index = random.below(live_count);
            KASSERT_EQ(first_changed_byte(live[index]), live[index].size);
            kfree(live[index].data);
            expected_in_use -= live[index].size;
            live[index] = live[--live_count];
        }
        KASSERT_EQ(kernel_heap_statistics().bytes_in_use, expected_in_use);
        if (op % 25000 == 0)
            audit_kernel_heap(); // panics with what it found
    }
    for (size_t i = 0; i < live_count; ++i) {
        KEXPECT_EQ(first_changed_byte(live[i]), live[i].size);
        kfree(live[i].data);
    }
    kfree(live);
    audit_kernel_heap();
}

KTEST(heap, memory_goes_back_to_the_frame_allocator)
{
    constexpr size_t kBlocks = 128;
    constexpr size_t kBlockSize = 64 * 1024;
    uint8_t* blocks[kBlocks];
    HeapStatistics before = kernel_heap_statistics();
    uint64_t frames_before = frame_statistics().free;
    for (uint8_t*& block : blocks) {
        block = static_cast<uint8_t*>(kalloc(kBlockSize));
        KASSERT_TRUE(block != nullptr);
        block[0] = block[kBlockSize - 1] = 1; // the pages are really there
    }
    HeapStatistics grown = kernel_heap_statistics();
    uint64_t frames_grown = frame_statistics().free;
    for (uint8_t* block : blocks)
        kfree(block);
    HeapStatistics after = kernel_heap_statistics();
    uint64_t frames_after = frame_statistics().free;

    // Each block is 17 pages (its header spills into one more).
    KEXPECT_GE(grown.pages_held, kBlocks * (kBlockSize / 4096 + 1));
    KEXPECT_LT(frames_grown, frames_before);
    // At most 3 MiB stays free and mapped: 2 MiB for reuse plus the 1 MiB a
    // release batch waits for.
    KEXPECT_LE(after.pages_held - after.pages_in_use, kHeapRetainFreePages + kHeapReleaseBatchPages);
    KEXPECT_GT(after.pages_given_back, before.pages_given_back);
    // The frames come back, less what the heap keeps, the page descriptors
    // of the larger extent and a page table for each 2 MiB of new addresses.
    uint64_t page_tables = (grown.pages_held * 4096 >> 21) + 2;
    uint64_t kept = after.metadata_pages - before.metadata_pages + page_tables
        + (after.pages_held > before.pages_held ? after.pages_held - before.pages_held : 0);
    KEXPECT_GE(frames_after + kept, frames_before);
    ktest_context.diagnostic("grew to {} pages for {} KiB, back to {} ({} free); free frames {} -> {} -> {}",
        grown.pages_held, kBlocks * kBlockSize / 1024, after.pages_held,
        after.pages_held - after.pages_in_use, frames_before, frames_grown, frames_after);
}

KTEST(heap, audit_is_clean_after_all_of_it)
{
    audit_kernel_heap();
    HeapStatistics stats = kernel_heap_statistics();
    KEXPECT_EQ(stats.allocations - stats.frees, stats.live_allocations);
    KEXPECT_EQ(stats.bytes_held, stats.pages_held * 4096);
}

} // namespace mm
