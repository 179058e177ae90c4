#include "mm/bump_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {

TEST(BumpAllocator, HonoursEveryPowerOfTwoAlignment)
{
    alignas(8192) static uint8_t arena[64 * 1024];
    mm::BumpAllocator allocator(arena + 1, sizeof(arena) - 1); // deliberately misaligned arena
    for (size_t alignment = 1; alignment <= 4096; alignment *= 2) {
        void* block = allocator.allocate(3, alignment);
        ASSERT_NE(block, nullptr);
        EXPECT_EQ(reinterpret_cast<uintptr_t>(block) % alignment, 0u) << "alignment " << alignment;
        EXPECT_TRUE(allocator.owns(block));
    }
}

TEST(BumpAllocator, BlocksDoNotOverlapAndStayInTheArena)
{
    static uint8_t arena[16 * 1024];
    mm::BumpAllocator allocator(arena, sizeof(arena));
    std::mt19937 random(1234);
    std::vector<std::pair<uint8_t*, size_t>> blocks;
    for (;;) {
        size_t size = 1 + random() % 200;
        auto* block = static_cast<uint8_t*>(allocator.allocate(size, 8));
        if (block == nullptr)
            break;
        blocks.emplace_back(block, size);
    }
    ASSERT_GT(blocks.size(), 50u);
    for (size_t i = 1; i < blocks.size(); ++i)
        EXPECT_GE(blocks[i].first, blocks[i - 1].first + blocks[i - 1].second);
    EXPECT_LE(blocks.back().first + blocks.back().second, arena + sizeof(arena));
    EXPECT_EQ(allocator.stats().allocations, blocks.size());
    EXPECT_EQ(allocator.stats().failed_allocations, 1u);
}

TEST(BumpAllocator, RejectsBadRequests)
{
    static uint8_t arena[1024];
    mm::BumpAllocator allocator(arena, sizeof(arena));
    EXPECT_EQ(allocator.allocate(0, 8), nullptr);
    EXPECT_EQ(allocator.allocate(8, 0), nullptr);
    EXPECT_EQ(allocator.allocate(8, 24), nullptr);
    EXPECT_EQ(allocator.allocate(sizeof(arena) + 1, 1), nullptr);
    EXPECT_EQ(allocator.allocate(SIZE_MAX, 1), nullptr);
    EXPECT_EQ(allocator.stats().failed_allocations, 5u);
    EXPECT_NE(allocator.allocate(sizeof(arena), 1), nullptr); // exactly full is fine
}

TEST(BumpAllocator, FreeingTheLastBlockReturnsItsSpace)
{
    static uint8_t arena[1024];
    mm::BumpAllocator allocator(arena, sizeof(arena));
    void* first = allocator.allocate(100, 8);
    size_t after_first = allocator.stats().bytes_in_use;
    void* second = allocator.allocate(200, 64);
    allocator.free(second);
    EXPECT_EQ(allocator.stats().bytes_in_use, after_first);
    EXPECT_EQ(allocator.allocate(200, 64), second); // the same space again

    allocator.free(first); // not the last block: stays in use until the real heap
    EXPECT_GT(allocator.stats().bytes_in_use, after_first);
    EXPECT_EQ(allocator.stats().frees, 2u);
    EXPECT_FALSE(allocator.owns(arena + sizeof(arena)));
}

} // namespace
