#include "ktest/leak_check.h"

#include "arch/paging.h"
#include "mm/kernel_heap.h"
#include "mm/physical_memory.h"
#include "sched/thread_stack_cache.h"

namespace ktest {

MemorySnapshot take_memory_snapshot()
{
    mm::HeapStatistics heap = mm::kernel_heap_statistics();
    uint64_t tables = arch::count_page_table_frames();
    uint64_t used = mm::frame_statistics().used;
    uint64_t kept_stacks = sched::cached_thread_stack_frames();
    return { used - heap.pages_held - heap.metadata_pages - tables - kept_stacks, heap.live_allocations,
        heap.bytes_in_use };
}

Leak leak_between(const MemorySnapshot& before, const MemorySnapshot& after)
{
    return { static_cast<int64_t>(after.frames - before.frames),
        static_cast<int64_t>(after.blocks - before.blocks),
        static_cast<int64_t>(after.bytes - before.bytes) };
}

} // namespace ktest
