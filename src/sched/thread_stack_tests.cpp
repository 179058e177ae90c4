// Kernel tests of threads' stacks: where a stack is mapped, and what
// freeing it costs the other CPUs.

#include <stdint.h>

#include "arch/cpu.h"
#include "arch/page_size.h"
#include "arch/paging.h"
#include "ktest/ktest.h"
#include "sched/test_threads.h"
#include "sched/thread_stack.h"

namespace sched {

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
    uint64_t sent = testing::shootdowns_sent_by([&] { free_thread_stack(stack); });
    KEXPECT_EQ(testing::mapped_pages(stack.guard, stack.top), 0u);
    // Every page of the stack in one request to the other CPUs.
    KEXPECT_EQ(sent, testing::shootdowns_for_one_unmap());
}

} // namespace sched
