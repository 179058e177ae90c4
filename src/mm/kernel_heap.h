#pragma once

// The kernel heap: mm::HeapAllocator over its own stretch of the higher
// half, with pages from the frame allocator, behind an interrupt-safe
// spinlock. operator new and delete use it.

#include <stddef.h>
#include <stdint.h>

#include "mm/heap_allocator.h"

namespace mm {

// Where the heap lives: page descriptors in PML4 slot 384, the arena 1 TiB
// above them. Nothing else is mapped there.
inline constexpr uint64_t kHeapMetadataBase = 0xFFFFC00000000000;
inline constexpr uint64_t kHeapArenaBase = 0xFFFFC10000000000;
inline constexpr size_t kHeapArenaPages = size_t(16) << 18; // 16 GiB reserved
inline constexpr size_t kHeapInitialBytes = size_t { 2 } * 1024 * 1024;
// The heap's pages are mapped this many at a time: their frames under one
// hold of the frame allocator's lock, their mappings under one of the page
// tables'.
inline constexpr size_t kHeapMappingBatchPages = 64;

// Maps the first 2 MiB; panics if it cannot. secret: mixed into the block
// header checks, so a forged header is hard to guess.
void init_kernel_heap(uint64_t secret);
bool kernel_heap_ready();

// Memory for size bytes at a power-of-two alignment up to 2 MiB, or nullptr
// when memory is exhausted. A bad alignment or damage the heap finds on the
// way is a kernel bug and panics, naming what was found.
void* kalloc(size_t size, size_t alignment = 16);
// Panics on a double free, a pointer the heap never returned, and an
// overwritten block header, each named in the message.
void kfree(void* pointer);

HeapStatistics kernel_heap_statistics();
// The whole-heap consistency walk; panics with what it found if unsound.
void audit_kernel_heap();

} // namespace mm
