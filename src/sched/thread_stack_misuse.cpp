// A thread stack given back twice, for fault injection
// (fault=thread-stack-given-back-twice): cached twice, the stack would go
// to two threads at once, so the cache panics and names it
// (src/sched/thread_stack_cache.h).

#include <stdint.h>

#include "kernel/fault_kind.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "sched/thread_stack_cache.h"

namespace sched {
namespace {

[[gnu::noinline]] void give_back_a_thread_stack_twice()
{
    ThreadStack stack;
    if (!take_thread_stack(stack))
        PANIC("fault injection: no thread stack to give back twice");
    // Only a cached stack can be recognised: a full cache frees it instead,
    // and a second free_thread_stack would find nothing mapped.
    uint64_t cached_before = cached_thread_stack_frames();
    give_back_thread_stack(stack);
    if (cached_thread_stack_frames() == cached_before)
        PANIC("fault injection: the thread stack cache is full; the stack at {:#x} was freed, not cached",
            stack.bottom);
    kernel::log(kernel::LogTag::Fault, "thread stack misuse: giving back the stack at {:#x} a second time",
        stack.bottom);
    give_back_thread_stack(stack);
}

} // namespace

FAULT_KIND(thread_stack_given_back_twice, 295, "thread-stack-given-back-twice",
    "thread stacks panic: a stack given back twice", EndsTheBoot, give_back_a_thread_stack_twice);

} // namespace sched
