// Kernel tests of the heap on real frames and page tables, from the seed's
// list: blocks do not overlap, every alignment from 1 to 4096 is honoured,
// the statistics follow every call, long-lived blocks survive churn (what
// breaks a bump allocator), 100000 random operations keep every invariant,
// and memory goes back to the frame allocator. Every block a test takes has
// an owner (ktest/owners.h, BlockTable below), so a test that a failed
// KASSERT leaves gives its memory back too; and each test sizes itself to
// the memory the machine has, down to the smallest that boots (4 MiB).

#include <stddef.h>
#include <stdint.h>

#include "arch/paging.h"
#include "ktest/ktest.h"
#include "ktest/owners.h"
#include "lib/xorshift_random.h"
#include "mm/direct_map.h"
#include "mm/kernel_heap.h"
#include "mm/physical_memory.h"

namespace mm {
namespace {

using Random = lib::XorshiftRandom;

struct Block {
    uint8_t* data;
    size_t size;
    uint8_t fill;
};

// Fills memory (if there is any) and describes it. With memset, not a
// byte loop: the test kernel's UBSan checks every byte's pointer in a
// loop, about ten instructions a byte over the churn tests' 100 MB. The
// blocks are read back by first_changed_byte, not by memset's code, and
// memset has its own host tests (test/host/memory_functions_test.cpp).
Block fill_block(void* memory, size_t size, uint8_t fill)
{
    Block block { static_cast<uint8_t*>(memory), size, fill };
    if (block.data != nullptr)
        __builtin_memset(block.data, fill, size);
    return block;
}

// Blocks a test holds, filled, in an array from the heap. The destructor
// frees every block still held and then the array.
class BlockTable {
public:
    explicit BlockTable(size_t capacity)
        : m_array(capacity * sizeof(Block), alignof(Block))
        , m_capacity(m_array ? capacity : 0)
    {
    }
    ~BlockTable()
    {
        while (m_count > 0)
            remove(m_count - 1);
    }
    BlockTable(const BlockTable&) = delete;
    BlockTable& operator=(const BlockTable&) = delete;

    bool ready() const { return static_cast<bool>(m_array); }
    size_t count() const { return m_count; }
    Block& operator[](size_t index) { return m_array.as<Block>()[index]; }

    // Allocates, fills and keeps a block; false (nothing kept) if the heap
    // refused or the table is full.
    bool add(size_t size, size_t alignment, uint8_t fill)
    {
        if (m_count == m_capacity)
            return false;
        void* memory = kalloc(size, alignment);
        if (memory == nullptr)
            return false;
        (*this)[m_count++] = fill_block(memory, size, fill);
        return true;
    }
    // Frees the block at index; the last block takes its place.
    void remove(size_t index)
    {
        kfree((*this)[index].data);
        (*this)[index] = (*this)[--m_count];
    }

private:
    ktest::OwnedBlock m_array;
    size_t m_capacity;
    size_t m_count = 0;
};

// The offset of the first byte that no longer holds the fill, or size: a
// block that overlaps another, or that the heap reused while live, shows.
// Compared a word at a time up to the first word that differs (the heap
// aligns every block to 16 bytes): under QEMU's TCG a byte loop over the
// churn tests' 100 MB took most of their 3 s.
size_t first_changed_byte(const Block& block)
{
    uint64_t fill_word = 0x0101010101010101ull * block.fill;
    size_t i = 0;
    if (reinterpret_cast<uintptr_t>(block.data) % alignof(uint64_t) == 0) {
        const auto* words = reinterpret_cast<const uint64_t*>(block.data);
        while (i + 8 <= block.size && words[i / 8] == fill_word)
            i += 8;
    }
    for (; i < block.size; ++i) {
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
    ktest::OwnedBlock block(64, 8);
    auto* words = block.as<uint64_t>();
    KASSERT_TRUE(words != nullptr);
    KEXPECT_EQ(reinterpret_cast<uintptr_t>(words) % 8, 0u);
    KEXPECT_GE(reinterpret_cast<uintptr_t>(words), kHeapArenaBase);
    for (uint64_t i = 0; i < 8; ++i)
        words[i] = 0x5241594F53000000ull + i;
    for (uint64_t i = 0; i < 8; ++i)
        KEXPECT_EQ(words[i], 0x5241594F53000000ull + i);
}

KTEST(heap, blocks_do_not_overlap)
{
    constexpr size_t kCount = 1000;
    BlockTable blocks(kCount);
    KASSERT_TRUE(blocks.ready());
    Random random(1);
    for (size_t i = 0; i < kCount; ++i)
        KASSERT_TRUE(blocks.add(1 + random.below(2048), 16, static_cast<uint8_t>(i)));
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
}

KTEST(heap, every_alignment_up_to_a_page)
{
    constexpr size_t kSizes[] = { 1, 8, 24, 64, 100, 1000, 4096, 10000 };
    for (size_t alignment = 1; alignment <= 4096; alignment *= 2) {
        for (size_t size : kSizes) {
            ktest::OwnedBlock owner(size, alignment);
            KASSERT_TRUE(owner);
            Block block = fill_block(owner.get(), size, 0x5A);
            KEXPECT_EQ(reinterpret_cast<uintptr_t>(block.data) % alignment, 0u);
            KEXPECT_EQ(first_changed_byte(block), size);
        }
    }
}

KTEST(heap, statistics_follow_every_call)
{
    HeapStatistics before = kernel_heap_statistics();
    constexpr size_t kSizes[] = { 1, 64, 500, 4000, 70000 };
    ktest::OwnedBlock blocks[5];
    size_t total = 0;
    for (size_t i = 0; i < 5; ++i) {
        KASSERT_TRUE(blocks[i].allocate(kSizes[i]));
        total += kSizes[i];
    }
    HeapStatistics during = kernel_heap_statistics();
    KEXPECT_EQ(during.bytes_in_use, before.bytes_in_use + total);
    KEXPECT_EQ(during.live_allocations, before.live_allocations + 5);
    KEXPECT_EQ(during.allocations, before.allocations + 5);
    KEXPECT_GE(during.peak_bytes_in_use, during.bytes_in_use);
    KEXPECT_GT(during.block_bytes_in_use, during.bytes_in_use);
    KEXPECT_EQ(during.bytes_held, during.pages_held * 4096);
    for (ktest::OwnedBlock& block : blocks)
        block.free();
    HeapStatistics after = kernel_heap_statistics();
    KEXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
    KEXPECT_EQ(after.frees, before.frees + 5);
    KEXPECT_EQ(after.live_allocations, before.live_allocations);
}

KTEST(heap, long_lived_blocks_survive_churn)
{
    constexpr size_t kLongLived = 2000;
    constexpr size_t kChurn = 50000;
    BlockTable keep(kLongLived);
    KASSERT_TRUE(keep.ready());
    Random random(2);
    for (size_t i = 0; i < kLongLived; ++i)
        KASSERT_TRUE(keep.add(1 + random.below(512), 16, static_cast<uint8_t>(i * 7)));
    for (size_t i = 0; i < kChurn; ++i) {
        size_t size = random_size(random);
        ktest::OwnedBlock owner(size, 16);
        KASSERT_TRUE(owner);
        Block temporary = fill_block(owner.get(), size, 0xC3);
        KASSERT_EQ(first_changed_byte(temporary), temporary.size);
    }
    for (size_t i = 0; i < kLongLived; ++i)
        KEXPECT_EQ(first_changed_byte(keep[i]), keep[i].size);
}

// The live blocks stay within a quarter of the memory the heap can have
// (its free pages and the free frames): 100000 operations of the same
// sequence on any machine that boots, and room left for slab and page
// rounding.
KTEST(heap, random_operations_keep_every_invariant)
{
    constexpr size_t kOperations = 100000;
    constexpr size_t kSlots = 1024;
    BlockTable live(kSlots);
    KASSERT_TRUE(live.ready());
    HeapStatistics start = kernel_heap_statistics();
    uint64_t budget = (frame_statistics().free + start.pages_held - start.pages_in_use) * kFrameSize / 4;
    uint64_t live_bytes = 0;
    Random random(3);
    uint64_t expected_in_use = start.bytes_in_use;
    for (size_t op = 0; op < kOperations; ++op) {
        bool allocate = live.count() == 0 || (live.count() < kSlots && random.below(100) < 55);
        size_t size = allocate ? random_size(random) : 0;
        if (allocate && live.count() > 0 && live_bytes + size > budget)
            allocate = false;
        if (allocate) {
            size_t alignment = random.below(8) == 0 ? size_t(1) << random.below(13) : 16;
            KASSERT_TRUE(live.add(size, alignment, static_cast<uint8_t>(random.next())));
            Block& block = live[live.count() - 1];
            KASSERT_EQ(reinterpret_cast<uintptr_t>(block.data) % alignment, 0u);
            expected_in_use += size;
            live_bytes += size;
        } else {
            size_t index = random.below(live.count());
            KASSERT_EQ(first_changed_byte(live[index]), live[index].size);
            expected_in_use -= live[index].size;
            live_bytes -= live[index].size;
            live.remove(index);
        }
        KASSERT_EQ(kernel_heap_statistics().bytes_in_use, expected_in_use);
        if (op % 25000 == 0)
            audit_kernel_heap(); // panics with what it found
    }
    for (size_t i = 0; i < live.count(); ++i)
        KEXPECT_EQ(first_changed_byte(live[i]), live[i].size);
    while (live.count() > 0)
        live.remove(live.count() - 1);
    audit_kernel_heap();
}

KTEST(heap, memory_goes_back_to_the_frame_allocator)
{
    constexpr size_t kMaxBlocks = 128;
    constexpr size_t kBlockSize = size_t { 64 } * 1024;
    constexpr size_t kBlockPages = kBlockSize / 4096 + 1; // its header spills into one more
    // The heap gives pages back only past what it keeps free: the blocks
    // must span more than that, with a block to spare.
    constexpr size_t kFewestBlocks = (kHeapRetainFreePages + kHeapReleaseBatchPages) / kBlockPages + 2;
    // The heap's free pages may be scattered between slabs, so only free
    // frames count as room; tables and page descriptors for the growth
    // come from them too.
    constexpr uint64_t kSpareFrames = 32;
    HeapStatistics before = kernel_heap_statistics();
    uint64_t frames_before = frame_statistics().free;
    size_t count = frames_before > kSpareFrames ? (frames_before - kSpareFrames) / kBlockPages : 0;
    if (count > kMaxBlocks)
        count = kMaxBlocks;
    if (count < kFewestBlocks)
        KSKIP("needs free frames for {} blocks of {} KiB to grow the heap past the {} pages it keeps free; "
              "there are frames for {}",
            kFewestBlocks, kBlockSize / 1024, kHeapRetainFreePages + kHeapReleaseBatchPages, count);

    ktest::OwnedBlock blocks[kMaxBlocks];
    for (size_t i = 0; i < count; ++i) {
        KASSERT_TRUE(blocks[i].allocate(kBlockSize));
        auto* bytes = blocks[i].as<uint8_t>();
        bytes[0] = bytes[kBlockSize - 1] = 1; // the pages are really there
    }
    HeapStatistics grown = kernel_heap_statistics();
    uint64_t frames_grown = frame_statistics().free;
    for (ktest::OwnedBlock& block : blocks)
        block.free();
    HeapStatistics after = kernel_heap_statistics();
    uint64_t frames_after = frame_statistics().free;

    KEXPECT_GE(grown.pages_held, count * kBlockPages);
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
        grown.pages_held, count * kBlockSize / 1024, after.pages_held, after.pages_held - after.pages_in_use,
        frames_before, frames_grown, frames_after);
}

namespace {

// Every free frame but `left`, held for the length of a test: each held
// frame stores the physical address of the one held before it (through the
// direct map), so holding them all needs no memory of its own.
class AllFramesButSomeHeld {
public:
    explicit AllFramesButSomeHeld(uint64_t left)
    {
        while (frame_statistics().free > left) {
            auto frame = allocate_frame();
            if (!frame)
                break;
            *physical_to_virtual<uint64_t>(frame.value()) = m_last;
            m_last = frame.value();
            ++m_count;
        }
    }
    ~AllFramesButSomeHeld()
    {
        while (m_last != kNone) {
            uint64_t frame = m_last;
            m_last = *physical_to_virtual<uint64_t>(frame);
            free_frame(frame);
        }
    }
    AllFramesButSomeHeld(const AllFramesButSomeHeld&) = delete;
    AllFramesButSomeHeld& operator=(const AllFramesButSomeHeld&) = delete;

    uint64_t count() const { return m_count; }

private:
    static constexpr uint64_t kNone = ~uint64_t { 0 };
    uint64_t m_last = kNone;
    uint64_t m_count = 0;
};

} // namespace

// The frames run out while the heap maps pages for a block: the block is
// refused (nullptr), and every page mapped for it goes back. Only page
// tables (kept once made) and the heap's page descriptors for a larger
// extent may keep frames; the heap holds no more pages than before. The
// heap's backing maps kHeapMappingBatchPages (64) a batch: 24 frames left
// fail the first batch, 88 fail the second after the first was mapped (its
// rollback).
namespace {

void check_a_block_refused_for_want_of_frames(ktest::Context& ktest_context, uint64_t frames_left)
{
    // More than the 3 MiB the heap keeps mapped and free, so the block needs
    // new pages; a few frames, so some of them map before the frames run out.
    constexpr size_t kBlockSize = size_t { 4 } << 20;
    HeapStatistics before {};
    HeapStatistics after {};
    uint64_t frames_before = 0;
    uint64_t frames_after = 0;
    uint64_t tables_before = 0;
    uint64_t tables_after = 0;
    void* block = nullptr;
    {
        AllFramesButSomeHeld held(frames_left);
        KASSERT_EQ(frame_statistics().free, frames_left);
        before = kernel_heap_statistics();
        frames_before = frame_statistics().free;
        tables_before = arch::count_page_table_frames();
        block = kalloc(kBlockSize, 16);
        after = kernel_heap_statistics();
        frames_after = frame_statistics().free;
        tables_after = arch::count_page_table_frames();
        ktest_context.diagnostic(
            "{} frames held, {} left; free frames {} -> {}, page tables {} -> {}, heap pages {} -> {}, "
            "descriptor pages {} -> {}",
            held.count(), frames_left, frames_before, frames_after, tables_before, tables_after,
            before.pages_held, after.pages_held, before.metadata_pages, after.metadata_pages);
    }
    if (block != nullptr)
        kfree(block);
    KEXPECT_TRUE(block == nullptr);
    KEXPECT_EQ(after.pages_held, before.pages_held);
    KEXPECT_EQ(after.bytes_in_use, before.bytes_in_use);
    KEXPECT_EQ(after.live_allocations, before.live_allocations);
    uint64_t kept = (tables_after - tables_before) + (after.metadata_pages - before.metadata_pages);
    KEXPECT_EQ(frames_after + kept, frames_before);
    audit_kernel_heap();
}

} // namespace

KTEST(heap, a_block_refused_for_want_of_frames_leaves_no_page_mapped)
{
    check_a_block_refused_for_want_of_frames(ktest_context, 24);
}

KTEST(heap, a_block_refused_after_a_whole_batch_was_mapped_gives_the_batch_back)
{
    check_a_block_refused_for_want_of_frames(ktest_context, kHeapMappingBatchPages + 24);
}

KTEST(heap, audit_is_clean_after_all_of_it)
{
    audit_kernel_heap();
    HeapStatistics stats = kernel_heap_statistics();
    KEXPECT_EQ(stats.allocations - stats.frees, stats.live_allocations);
    KEXPECT_EQ(stats.bytes_held, stats.pages_held * 4096);
}

} // namespace mm
