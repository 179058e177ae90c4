// The heap's size-class arithmetic (src/mm/heap_size_classes.h) against
// answers the test works out the slow way: a linear search over the strides
// for the class, the page-by-page waste rule for a slab's length, and a
// plain division for a block's index.

#include "mm/heap_size_classes.h"

#include <gtest/gtest.h>

namespace {

using mm::kHeapClassCount;
using mm::kHeapClasses;
using mm::kHeapPageSize;

// The first stride that holds block_bytes, by looking at each in turn.
size_t smallest_class_holding(size_t block_bytes)
{
    for (size_t c = 0; c < kHeapClassCount; ++c) {
        if (mm::kHeapStrides[c] >= block_bytes)
            return c;
    }
    return kHeapClassCount;
}

bool wastes_at_most_a_sixteenth(size_t pages, size_t stride)
{
    size_t bytes = pages * kHeapPageSize;
    return bytes >= stride && bytes % stride <= bytes / 16;
}

TEST(HeapSizeClasses, StridesRiseInWholeRecordsUpToTheLargestSlabBlock)
{
    for (size_t c = 0; c < kHeapClassCount; ++c) {
        EXPECT_EQ(kHeapClasses.stride[c] % mm::kHeapHeaderSize, 0u) << "class " << c;
        if (c > 0) {
            EXPECT_GT(kHeapClasses.stride[c], kHeapClasses.stride[c - 1]) << "class " << c;
        }
    }
    EXPECT_EQ(kHeapClasses.stride[kHeapClassCount - 1], mm::kMaxSlabStride);
}

TEST(HeapSizeClasses, EveryBlockSizeGetsTheSmallestStrideThatHoldsIt)
{
    for (size_t bytes = 1; bytes <= mm::kMaxSlabStride; ++bytes) {
        size_t expected = smallest_class_holding(bytes);
        ASSERT_EQ(mm::size_class_for(bytes), expected) << bytes << " bytes";
        ASSERT_GE(kHeapClasses.stride[expected], bytes);
    }
}

TEST(HeapSizeClasses, SlabsTakeTheFewestPagesThatWasteAtMostASixteenth)
{
    for (size_t c = 0; c < kHeapClassCount; ++c) {
        size_t stride = kHeapClasses.stride[c];
        size_t pages = kHeapClasses.pages[c];
        EXPECT_TRUE(wastes_at_most_a_sixteenth(pages, stride))
            << "stride " << stride << ", " << pages << " pages";
        for (size_t fewer = 1; fewer < pages; ++fewer) {
            EXPECT_FALSE(wastes_at_most_a_sixteenth(fewer, stride))
                << "stride " << stride << " fits " << fewer;
        }
    }
}

TEST(HeapSizeClasses, BlocksFillTheSlabUpToTheLiveBitmap)
{
    for (size_t c = 0; c < kHeapClassCount; ++c) {
        size_t fit = kHeapClasses.pages[c] * kHeapPageSize / kHeapClasses.stride[c];
        size_t expected = fit < mm::kMaxBlocksPerSlab ? fit : mm::kMaxBlocksPerSlab;
        EXPECT_EQ(kHeapClasses.blocks[c], expected) << "stride " << kHeapClasses.stride[c];
        EXPECT_GE(kHeapClasses.blocks[c], 1u);
    }
}

// Every class, offsets across a whole slab of 16 pages (each up to 512,
// sparser past it), at compile time: here, not in the header, where the
// evaluation cost a quarter of a second in every file that includes it.
constexpr bool reciprocals_are_exact()
{
    for (size_t c = 0; c < kHeapClassCount; ++c) {
        for (uint64_t offset = 0; offset < mm::kMaxSlabPages * kHeapPageSize; offset += 1 + offset / 512) {
            if (mm::block_index_in_slab(offset, c) != offset / kHeapClasses.stride[c])
                return false;
        }
    }
    return true;
}
static_assert(reciprocals_are_exact());

TEST(HeapSizeClasses, BlockIndexIsTheDivisionAtEveryOffsetOfAnySlab)
{
    for (size_t c = 0; c < kHeapClassCount; ++c) {
        for (uint64_t offset = 0; offset < mm::kMaxSlabPages * kHeapPageSize; ++offset) {
            ASSERT_EQ(mm::block_index_in_slab(offset, c), offset / kHeapClasses.stride[c])
                << "stride " << kHeapClasses.stride[c] << ", offset " << offset;
        }
    }
}

// Kernels ask for powers of two most: from 256 bytes on, each has a stride
// 16 bytes over it (its record), not the next coarser one.
TEST(HeapSizeClasses, PowersOfTwoFrom256BytesGetAStrideOfTheirOwn)
{
    for (size_t size = 256; size + mm::kHeapHeaderSize <= mm::kMaxSlabStride; size *= 2) {
        EXPECT_EQ(
            kHeapClasses.stride[mm::size_class_for(size + mm::kHeapHeaderSize)], size + mm::kHeapHeaderSize)
            << size << " bytes";
    }
}

} // namespace
