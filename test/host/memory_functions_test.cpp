// The kernel's memcpy, memset, memmove, memcmp and strlen
// (src/arch/x86_64/memory_functions.cpp), linked into this test program: as
// definitions in the executable they take the place of glibc's, so every
// call here (and in GoogleTest itself) runs the kernel's code.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" {
void* memcpy(void*, const void*, size_t);
void* memset(void*, int, size_t);
void* memmove(void*, const void*, size_t);
int memcmp(const void*, const void*, size_t);
size_t strlen(const char*);
}

namespace {

// Calls through volatile pointers so the compiler cannot expand them inline.
void* (*volatile copy)(void*, const void*, size_t) = memcpy;
void* (*volatile fill)(void*, int, size_t) = memset;
void* (*volatile move)(void*, const void*, size_t) = memmove;
int (*volatile compare)(const void*, const void*, size_t) = memcmp;
size_t (*volatile length)(const char*) = strlen;

std::vector<uint8_t> pattern(size_t size)
{
    std::vector<uint8_t> bytes(size);
    for (size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<uint8_t>(i * 7 + 3);
    return bytes;
}

TEST(MemoryFunctions, CopyEverySizeAndOffset)
{
    auto source = pattern(300);
    for (size_t offset = 0; offset < 16; ++offset) {
        for (size_t size : { 0, 1, 7, 8, 15, 64, 255 }) {
            std::vector<uint8_t> destination(300, 0xEE);
            EXPECT_EQ(copy(destination.data() + offset, source.data(), size), destination.data() + offset);
            for (size_t i = 0; i < 300; ++i) {
                uint8_t expected = (i >= offset && i < offset + size) ? source[i - offset] : 0xEE;
                ASSERT_EQ(destination[i], expected) << "offset " << offset << " size " << size << " at " << i;
            }
        }
    }
}

TEST(MemoryFunctions, FillUsesTheLowByte)
{
    std::vector<uint8_t> bytes(40, 0);
    EXPECT_EQ(fill(bytes.data() + 3, 0x1AB, 30), bytes.data() + 3);
    for (size_t i = 0; i < bytes.size(); ++i)
        EXPECT_EQ(bytes[i], (i >= 3 && i < 33) ? 0xAB : 0) << i;
}

TEST(MemoryFunctions, MoveHandlesOverlapInBothDirections)
{
    for (ptrdiff_t shift : { -9, -1, 1, 9 }) {
        auto bytes = pattern(100);
        auto expected = bytes;
        std::vector<uint8_t> saved(bytes.begin() + 20, bytes.begin() + 70);
        std::copy(saved.begin(), saved.end(), expected.begin() + 20 + shift);
        EXPECT_EQ(move(bytes.data() + 20 + shift, bytes.data() + 20, 50), bytes.data() + 20 + shift);
        EXPECT_EQ(bytes, expected) << "shift " << shift;
    }
}

TEST(MemoryFunctions, MoveLeavesTheDirectionFlagClear)
{
    auto bytes = pattern(64);
    move(bytes.data() + 8, bytes.data(), 32); // backward copy sets DF internally
    uint64_t flags;
    asm volatile("pushfq; popq %0" : "=r"(flags));
    EXPECT_EQ(flags & (1u << 10), 0u);
}

TEST(MemoryFunctions, CompareOrdersAsUnsignedBytes)
{
    const uint8_t low[] = { 1, 2, 0x01 };
    const uint8_t high[] = { 1, 2, 0xFF };
    EXPECT_EQ(compare(low, low, 3), 0);
    EXPECT_LT(compare(low, high, 3), 0);
    EXPECT_GT(compare(high, low, 3), 0);
    EXPECT_EQ(compare(low, high, 2), 0);
    EXPECT_EQ(compare(low, high, 0), 0);
}

TEST(MemoryFunctions, Length)
{
    EXPECT_EQ(length(""), 0u);
    EXPECT_EQ(length("RayOS"), 5u);
}

} // namespace
