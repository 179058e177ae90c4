#pragma once

// The heap's size classes: which block stride serves a request, how many
// pages a slab of each stride takes, and which block of a slab a byte
// offset falls in. Pure arithmetic, all computed at compile time, so it is
// checked by static_asserts here and by its own host test, apart from the
// slabs that use it (heap_slabs.cpp).

#include <stddef.h>
#include <stdint.h>

#include "mm/heap_allocator.h"

namespace mm {

// Strides grow by about an eighth to a quarter (a sixteenth or less where a
// power of two gets its own, below), so a block wastes little.
// Each stride counts the block's 16-byte record, so a request of a power of
// two from 256 bytes on (the sizes kernels ask for most) gets a stride of
// its own, 16 bytes over it: a 256-byte request would otherwise take a
// 320-byte stride and waste 48 bytes a block, a 2048-byte one 496.
inline constexpr uint16_t kHeapStrides[]
    = { 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 272, 320, 384, 448, 512, 528, 640, 768, 896, 1024,
          1040, 1280, 1536, 1792, 2048, 2064, 2560, 3072, 3584, kMaxSlabStride };
inline constexpr size_t kHeapClassCount = sizeof(kHeapStrides) / sizeof(kHeapStrides[0]);
// A slab's live bitmap (two words in its page descriptor) caps its blocks.
inline constexpr uint32_t kMaxBlocksPerSlab = 128;
inline constexpr uint32_t kMaxSlabPages = 16;

// The fewest pages a slab of this stride needs to waste at most 1/16 of
// itself.
constexpr uint8_t slab_pages(uint16_t stride)
{
    for (uint32_t pages = 1; pages < kMaxSlabPages; ++pages) {
        uint32_t bytes = pages * kHeapPageSize;
        if (bytes / stride >= 1 && bytes % stride <= bytes / 16)
            return static_cast<uint8_t>(pages);
    }
    return kMaxSlabPages;
}

struct HeapClassTable {
    uint16_t stride[kHeapClassCount];
    // ceil(2^32 / stride): (offset * reciprocal) >> 32 is offset / stride,
    // exactly, for every offset inside a slab (below 2^16), without a divide.
    uint32_t reciprocal[kHeapClassCount];
    uint8_t pages[kHeapClassCount];
    uint8_t blocks[kHeapClassCount];
    uint8_t by_granule[kMaxSlabStride / 16 + 1]; // (stride + 15) / 16 -> class
};

constexpr HeapClassTable make_heap_class_table()
{
    HeapClassTable table {};
    size_t size_class = 0;
    for (size_t granule = 0; granule <= kMaxSlabStride / 16; ++granule) {
        while (kHeapStrides[size_class] < granule * 16)
            ++size_class;
        table.by_granule[granule] = static_cast<uint8_t>(size_class);
    }
    for (size_t c = 0; c < kHeapClassCount; ++c) {
        uint8_t pages = slab_pages(kHeapStrides[c]);
        uint32_t blocks = pages * kHeapPageSize / kHeapStrides[c];
        table.stride[c] = kHeapStrides[c];
        table.reciprocal[c]
            = static_cast<uint32_t>(((uint64_t(1) << 32) + kHeapStrides[c] - 1) / kHeapStrides[c]);
        table.pages[c] = pages;
        table.blocks[c] = static_cast<uint8_t>(blocks > kMaxBlocksPerSlab ? kMaxBlocksPerSlab : blocks);
    }
    return table;
}

inline constexpr HeapClassTable kHeapClasses = make_heap_class_table();
static_assert(kHeapClasses.blocks[0] == kMaxBlocksPerSlab
    && kHeapClasses.stride[kHeapClassCount - 1] == kMaxSlabStride);
static_assert(kHeapClassCount <= 32, "per-class lists are sized for 32 classes");

// The smallest class whose stride holds block_bytes (record included);
// block_bytes must be at most kMaxSlabStride.
constexpr uint8_t size_class_for(size_t block_bytes)
{
    return kHeapClasses.by_granule[(block_bytes + 15) / 16];
}

// Which block of a slab of this class a byte offset falls in.
constexpr uint32_t block_index_in_slab(uint64_t offset, size_t size_class)
{
    return static_cast<uint32_t>((offset * kHeapClasses.reciprocal[size_class]) >> 32);
}

// test/host/heap_size_classes_test.cpp proves the multiply is the divide:
// at a sample of offsets of every class at compile time, at every offset
// at run time.

} // namespace mm
