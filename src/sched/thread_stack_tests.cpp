// Kernel tests of threads' stacks: where a stack is mapped, and what
// giving it back costs the other CPUs.

#include <stdint.h>

#include "arch/cpu.h"
#include "arch/page_size.h"
#include "arch/paging.h"
#include "arch/x86_64/per_cpu.h"
#include "ktest/ktest.h"
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
