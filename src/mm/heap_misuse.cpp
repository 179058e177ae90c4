#include "mm/heap_misuse.h"

#include <stdint.h>

#include "kernel/fault_kind.h"
#include "kernel/log.h"
#include "mm/kernel_heap.h"

namespace mm {
namespace {

using kernel::log;
using kernel::LogTag;

constexpr size_t kBlockSize = 64;
// Which byte of the freed block the use after free writes (test/test_faults.py
// reads it here): the heap's panic names it, counted from the block header.
constexpr size_t kByteWrittenAfterFree = 40;
// Enough allocations to reach any block of the first few slabs of the class
// (taken in list order, lowest free block first; the freed block's slab is
// among the first: it was the first when the block was taken, and a full
// slab freed into goes to the front).
constexpr unsigned kReuseAttempts = 256;

uint8_t* block_for_misuse()
{
    auto* block = static_cast<uint8_t*>(kalloc(kBlockSize));
    for (size_t i = 0; i < kBlockSize; ++i)
        block[i] = 0x11;
    return block;
}

} // namespace

void misuse_execute_heap_block()
{
    uint8_t* block = block_for_misuse();
    block[0] = 0xC3; // ret: harmless if the page were executable
    log(LogTag::Fault, "heap misuse: calling heap block {:#x}", reinterpret_cast<uintptr_t>(block));
    auto* function = reinterpret_cast<void (*)()>(block);
    function();
}

void misuse_write_after_free()
{
    uint8_t* block = block_for_misuse();
    kfree(block);
    // volatile: the compiler may not drop a store to memory it knows is freed.
    // The use after free is the point: the heap's poison check must catch it.
    // NOLINTNEXTLINE(clang-analyzer-unix.Malloc)
    static_cast<volatile uint8_t*>(block)[kByteWrittenAfterFree] = 0x41;
    log(LogTag::Fault, "heap misuse: writing into {:#x} after freeing it; allocating until it is reused",
        reinterpret_cast<uintptr_t>(block));
    for (unsigned i = 0; i < kReuseAttempts; ++i)
        kalloc(kBlockSize);
}

void misuse_double_free()
{
    uint8_t* block = block_for_misuse();
    log(LogTag::Fault, "heap misuse: freeing {:#x} twice", reinterpret_cast<uintptr_t>(block));
    kfree(block);
    // The double free is the point: the heap must refuse it with a panic.
    // NOLINTNEXTLINE(clang-analyzer-unix.Malloc)
    kfree(block);
}

void misuse_free_foreign_pointer()
{
    uint8_t* block = block_for_misuse();
    log(LogTag::Fault, "heap misuse: freeing {:#x}, 32 bytes into block {:#x}",
        reinterpret_cast<uintptr_t>(block + 32), reinterpret_cast<uintptr_t>(block));
    kfree(block + 32);
}

void misuse_overwrite_block_header()
{
    uint8_t* block = block_for_misuse();
    volatile uint8_t* check_value = block - 4; // the header's last field
    *check_value = static_cast<uint8_t>(*check_value ^ 0xFF);
    log(LogTag::Fault, "heap misuse: overwrote the header of {:#x}; freeing it",
        reinterpret_cast<uintptr_t>(block));
    kfree(block);
}

FAULT_KIND(heap_execute, 230, "heap-execute", "#PF: an instruction fetch from a heap block (no-execute)",
    EndsTheBoot, misuse_execute_heap_block);
FAULT_KIND(use_after_free, 240, "use-after-free", "heap panic: freed memory written, caught on reuse",
    EndsTheBoot, misuse_write_after_free);
FAULT_KIND(
    double_free, 250, "double-free", "heap panic: a block freed twice", EndsTheBoot, misuse_double_free);
FAULT_KIND(foreign_free, 260, "foreign-free", "heap panic: a pointer the heap never returned", EndsTheBoot,
    misuse_free_foreign_pointer);
FAULT_KIND(heap_header_overwrite, 270, "heap-header-overwrite", "heap panic: a live block's header damaged",
    EndsTheBoot, misuse_overwrite_block_header);

} // namespace mm
