#include "mm/heap_self_test.h"

#include <stddef.h>
#include <stdint.h>

#include "kernel/log.h"
#include "kernel/panic.h"
#include "mm/kernel_heap.h"
#include "mm/physical_memory.h"

namespace mm {
namespace {

using kernel::log;
using kernel::LogTag;

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

uint8_t* allocate_or_panic(size_t size, size_t alignment)
{
    auto* data = static_cast<uint8_t*>(kalloc(size, alignment));
    if (data == nullptr)
        PANIC("heap self-test: kalloc({}, {}) returned nullptr", size, alignment);
    if (reinterpret_cast<uintptr_t>(data) % alignment != 0)
        PANIC("heap self-test: kalloc({}, {}) returned {}, not aligned", size, alignment,
            static_cast<void*>(data));
    return data;
}

Block make_block(size_t size, size_t alignment, uint8_t fill)
{
    Block block { allocate_or_panic(size, alignment), size, fill };
    for (size_t i = 0; i < size; ++i)
        block.data[i] = fill;
    return block;
}

// Every byte still holds what was written: a block that overlaps another,
// or that the heap reused while live, fails here.
void verify(const Block& block, const char* test)
{
    for (size_t i = 0; i < block.size; ++i) {
        if (block.data[i] != block.fill)
            PANIC("heap self-test {}: block {} ({} bytes) byte {} is {:#x}, expected {:#x}", test,
                static_cast<void*>(block.data), block.size, i, block.data[i], block.fill);
    }
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

void test_no_overlap()
{
    constexpr size_t kCount = 1000;
    auto* blocks = static_cast<Block*>(kalloc(kCount * sizeof(Block), alignof(Block)));
    Random random(1);
    for (size_t i = 0; i < kCount; ++i)
        blocks[i] = make_block(1 + random.below(2048), 16, static_cast<uint8_t>(i));
    // Sorted by address, each block ends before the next begins.
    for (size_t i = 1; i < kCount; ++i) {
        for (size_t j = i; j > 0 && blocks[j - 1].data > blocks[j].data; --j) {
            Block swap = blocks[j];
            blocks[j] = blocks[j - 1];
            blocks[j - 1] = swap;
        }
    }
    for (size_t i = 0; i < kCount; ++i) {
        verify(blocks[i], "overlap");
        if (i > 0 && blocks[i - 1].data + blocks[i - 1].size > blocks[i].data)
            PANIC("heap self-test overlap: {} ({} bytes) runs into {}",
                static_cast<void*>(blocks[i - 1].data), blocks[i - 1].size,
                static_cast<void*>(blocks[i].data));
    }
    for (size_t i = 0; i < kCount; ++i)
        kfree(blocks[i].data);
    kfree(blocks);
    log(LogTag::Test, "heap no-overlap: ok ({} blocks of 1 to 2048 bytes, disjoint and intact)", kCount);
}

void test_alignments()
{
    constexpr size_t kSizes[] = { 1, 8, 24, 64, 100, 1000, 4096, 10000 };
    size_t checked = 0;
    for (size_t alignment = 1; alignment <= 4096; alignment *= 2) {
        for (size_t size : kSizes) {
            Block block = make_block(size, alignment, 0x5A);
            verify(block, "alignment");
            kfree(block.data);
            ++checked;
        }
    }
    log(LogTag::Test, "heap alignment: ok (every power of two from 1 to 4096, {} allocations)", checked);
}

void test_statistics()
{
    HeapStatistics before = kernel_heap_statistics();
    constexpr size_t kSizes[] = { 1, 64, 500, 4000, 70000 };
    uint8_t* blocks[5];
    size_t total = 0;
    for (size_t i = 0; i < 5; ++i) {
        blocks[i] = allocate_or_panic(kSizes[i], 16);
        total += kSizes[i];
    }
    HeapStatistics during = kernel_heap_statistics();
    for (uint8_t* block : blocks)
        kfree(block);
    HeapStatistics after = kernel_heap_statistics();
    bool good = during.bytes_in_use == before.bytes_in_use + total
        && during.live_allocations == before.live_allocations + 5
        && during.allocations == before.allocations + 5 && during.peak_bytes_in_use >= during.bytes_in_use
        && during.block_bytes_in_use > during.bytes_in_use && after.bytes_in_use == before.bytes_in_use
        && after.frees == before.frees + 5 && after.live_allocations == before.live_allocations
        && during.bytes_held == during.pages_held * 4096;
    if (!good)
        PANIC("heap self-test statistics: in use {} -> {} -> {} (allocated {}), live {} -> {} -> {}",
            before.bytes_in_use, during.bytes_in_use, after.bytes_in_use, total, before.live_allocations,
            during.live_allocations, after.live_allocations);
    log(LogTag::Test, "heap statistics: ok (+{} bytes in use while live, back to {} after)", total,
        after.bytes_in_use);
}

void test_churn()
{
    // Long-lived blocks stay put while many more come and go around them.
    constexpr size_t kLongLived = 2000;
    constexpr size_t kChurn = 50000;
    auto* keep = static_cast<Block*>(kalloc(kLongLived * sizeof(Block), alignof(Block)));
    Random random(2);
    for (size_t i = 0; i < kLongLived; ++i)
        keep[i] = make_block(1 + random.below(512), 16, static_cast<uint8_t>(i * 7));
    uint64_t held_before = kernel_heap_statistics().bytes_held;
    for (size_t i = 0; i < kChurn; ++i) {
        Block temporary = make_block(random_size(random), 16, 0xC3);
        verify(temporary, "churn");
        kfree(temporary.data);
    }
    for (size_t i = 0; i < kLongLived; ++i) {
        verify(keep[i], "churn");
        kfree(keep[i].data);
    }
    kfree(keep);
    uint64_t held_after = kernel_heap_statistics().bytes_held;
    log(LogTag::Test,
        "heap churn: ok ({} long-lived blocks intact across {} allocate/free pairs; held {} -> {} bytes)",
        kLongLived, kChurn, held_before, held_after);
}

void test_random_operations()
{
    constexpr size_t kOperations = 100000;
    constexpr size_t kSlots = 1024;
    auto* live = static_cast<Block*>(kalloc(kSlots * sizeof(Block), alignof(Block)));
    size_t live_count = 0;
    Random random(3);
    HeapStatistics start = kernel_heap_statistics();
    uint64_t expected_in_use = start.bytes_in_use;
    uint64_t peak_live = 0;
    for (size_t op = 0; op < kOperations; ++op) {
        bool allocate = live_count == 0 || (live_count < kSlots && random.below(100) < 55);
        if (allocate) {
            size_t alignment = random.below(8) == 0 ? size_t(1) << random.below(13) : 16;
            live[live_count]
                = make_block(random_size(random), alignment, static_cast<uint8_t>(random.next()));
            expected_in_use += live[live_count].size;
            ++live_count;
        } else {
            size_t index = random.below(live_count);
            verify(live[index], "random");
            kfree(live[index].data);
            expected_in_use -= live[index].size;
            live[index] = live[--live_count];
        }
        uint64_t in_use = kernel_heap_statistics().bytes_in_use;
        if (in_use != expected_in_use)
            PANIC("heap self-test random: after operation {}, {} bytes in use, expected {}", op, in_use,
                expected_in_use);
        if (in_use > peak_live)
            peak_live = in_use;
        if (op % 25000 == 0)
            audit_kernel_heap();
    }
    audit_kernel_heap();
    for (size_t i = 0; i < live_count; ++i) {
        verify(live[i], "random");
        kfree(live[i].data);
    }
    kfree(live);
    audit_kernel_heap();
    log(LogTag::Test, "heap random: ok ({} operations, up to {} bytes live, audits clean)", kOperations,
        peak_live);
}

void test_memory_goes_back()
{
    constexpr size_t kBlocks = 128;
    constexpr size_t kBlockSize = 64 * 1024;
    uint8_t* blocks[kBlocks];
    HeapStatistics before = kernel_heap_statistics();
    uint64_t frames_before = frame_statistics().free;
    for (uint8_t*& block : blocks) {
        block = allocate_or_panic(kBlockSize, 16);
        block[0] = block[kBlockSize - 1] = 1; // the pages are really there
    }
    HeapStatistics grown = kernel_heap_statistics();
    uint64_t frames_grown = frame_statistics().free;
    for (uint8_t* block : blocks)
        kfree(block);
    HeapStatistics after = kernel_heap_statistics();
    uint64_t frames_after = frame_statistics().free;
    // Each block is 17 pages (its header spills into one more). The frames
    // come back, less the free memory the heap keeps mapped for reuse, the
    // page descriptors the larger extent needed and a page table for each
    // 2 MiB of new addresses.
    uint64_t page_tables = (grown.pages_held * 4096 >> 21) + 2;
    uint64_t kept = after.metadata_pages - before.metadata_pages + page_tables
        + (after.pages_held > before.pages_held ? after.pages_held - before.pages_held : 0);
    if (grown.pages_held < kBlocks * (kBlockSize / 4096 + 1) || frames_grown >= frames_before
        || after.pages_held - after.pages_in_use > kHeapRetainFreePages + kHeapReleaseBatchPages
        || frames_after + kept < frames_before || after.pages_given_back <= before.pages_given_back)
        PANIC("heap self-test give-back: held {} -> {} -> {} pages, free frames {} -> {} -> {}",
            before.pages_held, grown.pages_held, after.pages_held, frames_before, frames_grown, frames_after);
    log(LogTag::Test,
        "heap give-back: ok (grew to {} pages for {} KiB, back to {} with {} free; free frames {} -> {} -> "
        "{})",
        grown.pages_held, kBlocks * kBlockSize / 1024, after.pages_held,
        after.pages_held - after.pages_in_use, frames_before, frames_grown, frames_after);
}

} // namespace

void run_heap_self_test()
{
    test_no_overlap();
    test_alignments();
    test_statistics();
    test_churn();
    test_random_operations();
    test_memory_goes_back();
    audit_kernel_heap();
    HeapStatistics stats = kernel_heap_statistics();
    log(LogTag::Test, "heap: all passed ({} allocations, {} frees, peak {} bytes in use, {} pages held)",
        stats.allocations, stats.frees, stats.peak_bytes_in_use, stats.pages_held);
}

} // namespace mm
