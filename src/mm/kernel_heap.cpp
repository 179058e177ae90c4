#include "mm/kernel_heap.h"

#include "arch/paging.h"
#include "kernel/panic.h"
#include "mm/physical_memory.h"
#include "sync/spinlock.h"

namespace mm {
namespace {

// Heap pages: a frame each, mapped read-write and no-execute.
class FrameBacking final : public HeapBacking {
public:
    // In batches, each batch's frames and mappings under one hold of each
    // lock: a lock pair a page made mapping the heap's first 2 MiB cost
    // 1.9 ms of boot under QEMU's -icount (the lock validator's checks,
    // mostly: 3.3 ms then, 1.4 ms now).
    bool map(uintptr_t address, size_t count) override
    {
        uint64_t frames[kHeapMappingBatchPages];
        for (size_t done = 0; done < count;) {
            size_t batch = count - done < kHeapMappingBatchPages ? count - done : kHeapMappingBatchPages;
            uintptr_t start = address + done * kHeapPageSize;
            if (!allocate_frames(frames, batch)) {
                unmap(address, done); // all or nothing
                return false;
            }
            size_t mapped = arch::map_kernel_data_pages(start, frames, batch);
            done += mapped;
            if (mapped < batch) {
                for (size_t i = mapped; i < batch; ++i)
                    free_frame(frames[i]);
                unmap(address, done);
                return false;
            }
        }
        return true;
    }

    // In batches too, each with one TLB shootdown for all its pages.
    void unmap(uintptr_t address, size_t count) override
    {
        arch::unmap_and_free_kernel_pages(address, count);
    }
};

FrameBacking g_backing;
sync::Locked<HeapAllocator> g_heap;
bool g_ready = false;

// One [PANIC] line that names the kind of damage first, then where.
[[noreturn]] void report(const HeapError& error)
{
    const char* what = describe(error.kind);
    switch (error.kind) {
    case HeapErrorKind::UseAfterFree:
        PANIC("heap: {}: block {:#x}, byte {} ({})", what, error.address, error.detail, error.reason);
    case HeapErrorKind::DoubleFree:
        PANIC("heap: {} of {:#x} ({})", what, error.address, error.reason);
    case HeapErrorKind::ForeignPointer:
    case HeapErrorKind::HeaderOverwritten:
        PANIC("heap: {}: {:#x} ({})", what, error.address, error.reason);
    default:
        PANIC("heap: {}: {:#x} ({}, {:#x})", what, error.address, error.reason, error.detail);
    }
}

} // namespace

void init_kernel_heap(uint64_t secret)
{
    HeapLayout layout { kHeapArenaBase, kHeapArenaPages, kHeapMetadataBase, kHeapInitialBytes / kHeapPageSize,
        secret };
    g_heap.with([&](HeapAllocator& heap) {
        auto started = heap.init(layout, g_backing);
        if (!started)
            report(started.error());
    });
    g_ready = true;
}

bool kernel_heap_ready()
{
    return g_ready;
}

void* kalloc(size_t size, size_t alignment)
{
    if (!g_ready)
        PANIC("kalloc({}) before the heap is up", size);
    auto result = g_heap.with([&](HeapAllocator& heap) { return heap.allocate(size, alignment); });
    if (result)
        return result.value();
    if (result.error().kind == HeapErrorKind::OutOfMemory || result.error().kind == HeapErrorKind::TooLarge)
        return nullptr;
    report(result.error());
}

void kfree(void* pointer)
{
    if (!g_ready)
        PANIC("kfree({}) before the heap is up", pointer);
    auto result = g_heap.with([&](HeapAllocator& heap) { return heap.free(pointer); });
    if (!result)
        report(result.error());
}

HeapStatistics kernel_heap_statistics()
{
    return g_heap.with([](HeapAllocator& heap) { return heap.statistics(); });
}

void audit_kernel_heap()
{
    auto result = g_heap.with([](HeapAllocator& heap) { return heap.audit(); });
    if (!result)
        report(result.error());
}

} // namespace mm
