// Kernel tests of threads' stacks: where a stack is mapped, and what
// giving it back costs the other CPUs.

#include <stdint.h>

#include "arch/cpu.h"
#include "arch/page_size.h"
#include "arch/paging.h"
#include "arch/x86_64/per_cpu.h"
#include "ktest/ktest.h"
#include "mm/physical_memory.h"
#include "sched/thread_stack.h"
#include "sync/interrupt_guard.h"

namespace sched {
namespace {

unsigned mapped_pages(uint64_t start, uint64_t end)
{
    unsigned mapped = 0;
    for (uint64_t page = start; page < end; page += arch::kPageSize)
        mapped += arch::look_up_kernel_address(page).mapped ? 1 : 0;
    return mapped;
}

} // namespace

KTEST(thread_stacks, a_stack_sits_above_an_unmapped_guard_and_goes_back_in_one_shootdown)
{
    ThreadStack stack;
    KASSERT_TRUE(allocate_thread_stack(stack));
    KEXPECT_FALSE(arch::look_up_kernel_address(stack.guard).mapped);
    for (uint64_t page = stack.bottom; page < stack.top; page += arch::kPageSize) {
        arch::KernelMapping mapping = arch::look_up_kernel_address(page);
        KEXPECT_TRUE(mapping.mapped && mapping.writable);
        // Without NX every page is executable (the boot warns once).
        if (arch::no_execute_enforced())
            KEXPECT_FALSE(mapping.executable);
    }
    uint64_t sent;
    {
        // On this CPU from before to after: the count is this CPU's.
        sync::InterruptGuard stay_on_this_cpu;
        uint64_t sent_before = arch::this_cpu().tlb_shootdowns_sent;
        free_thread_stack(stack);
        sent = arch::this_cpu().tlb_shootdowns_sent - sent_before;
    }
    KEXPECT_EQ(mapped_pages(stack.guard, stack.top), 0u);
    // Every page of the stack in one request to the other CPUs (none with
    // one CPU online).
    KEXPECT_EQ(sent, arch::cpu_count_online() > 1 ? uint64_t { 1 } : uint64_t { 0 });
}

} // namespace sched

namespace sched {
namespace {

constexpr uint8_t kScribble = 0xA5;

bool every_byte_is(uint64_t start, uint64_t end, uint8_t value)
{
    for (auto* byte = reinterpret_cast<const volatile uint8_t*>(start);
         byte < reinterpret_cast<const volatile uint8_t*>(end); ++byte) {
        if (*byte != value)
            return false;
    }
    return true;
}

// Shootdowns this CPU sent while give_back ran (interrupts off: it stays here).
template <typename GiveBack>
uint64_t shootdowns_sent_by(GiveBack give_back)
{
    sync::InterruptGuard stay_on_this_cpu;
    uint64_t sent_before = arch::this_cpu().tlb_shootdowns_sent;
    give_back();
    return arch::this_cpu().tlb_shootdowns_sent - sent_before;
}

} // namespace

KTEST(thread_stacks, a_stack_given_back_is_reused_zeroed_without_a_shootdown)
{
    ThreadStack first;
    KASSERT_TRUE(take_thread_stack(first));
    __builtin_memset(reinterpret_cast<void*>(first.bottom), kScribble, kThreadStackBytes);
    KEXPECT_EQ(shootdowns_sent_by([&] { give_back_thread_stack(first); }), 0u);
    KEXPECT_EQ(mapped_pages(first.bottom, first.top), kThreadStackBytes / arch::kPageSize);

    ThreadStack again;
    KASSERT_TRUE(take_thread_stack(again));
    KEXPECT_EQ(again.bottom, first.bottom);
    KEXPECT_FALSE(arch::look_up_kernel_address(again.guard).mapped);
    // Nothing of the thread before is left for the next to find.
    KEXPECT_TRUE(every_byte_is(again.bottom, again.top, 0));
    give_back_thread_stack(again);
}

KTEST(thread_stacks, the_cache_keeps_a_bounded_number_of_stacks_and_frees_the_rest)
{
    // A 256th of the usable memory, as the physical memory map gave it.
    uint64_t usable_bytes = mm::frame_statistics().usable * arch::kPageSize;
    size_t capacity = thread_stack_cache_capacity();
    ktest_context.diagnostic("{} stacks cached at most, {} MiB usable", capacity, usable_bytes >> 20);
    KEXPECT_TRUE(capacity == 1 || capacity * kThreadStackBytes <= usable_bytes / 256);
    KEXPECT_TRUE(
        capacity == kMaxCachedThreadStacks || (capacity + 1) * kThreadStackBytes > usable_bytes / 256);
    // One more than the cache holds: whatever it held is taken, and at
    // least one stack is newly mapped.
    ThreadStack stacks[kMaxCachedThreadStacks + 1];
    size_t taken = capacity + 1;
    for (size_t i = 0; i < taken; ++i)
        KASSERT_TRUE(take_thread_stack(stacks[i]));
    KEXPECT_EQ(cached_thread_stack_frames(), 0u);
    for (size_t i = 0; i < capacity; ++i)
        give_back_thread_stack(stacks[i]);
    uint64_t full = capacity * (kThreadStackBytes / arch::kPageSize);
    KEXPECT_EQ(cached_thread_stack_frames(), full);
    // The cache is full: the last stack is unmapped, its pages everywhere
    // in one request.
    ThreadStack& last = stacks[taken - 1];
    KEXPECT_EQ(shootdowns_sent_by([&] { give_back_thread_stack(last); }),
        arch::cpu_count_online() > 1 ? uint64_t { 1 } : uint64_t { 0 });
    KEXPECT_EQ(mapped_pages(last.guard, last.top), 0u);
    KEXPECT_EQ(cached_thread_stack_frames(), full);
}

} // namespace sched
