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

// Gives back two stacks, then the first again: not the one on top of the
// cache, so the check must look through all of it. The first is cached
// (the takes made room for it, and a cache of one stack keeps it and frees
// the second). Nothing else takes a stack meanwhile (no thread spawns while
// the fault word runs); one that did could take the first stack between
// its give-backs, and the second would then pass for its new owner's.
[[gnu::noinline]] void give_back_a_thread_stack_twice()
{
    ThreadStack first;
    ThreadStack second;
    if (!take_thread_stack(first) || !take_thread_stack(second))
        PANIC("fault injection: no thread stacks to give back");
    give_back_thread_stack(first);
    give_back_thread_stack(second);
    kernel::log(kernel::LogTag::Fault,
        "thread stack misuse: gave back the stacks at {:#x} and {:#x}; giving back the first again",
        first.bottom, second.bottom);
    give_back_thread_stack(first);
}

} // namespace

FAULT_KIND(thread_stack_given_back_twice, 295, "thread-stack-given-back-twice",
    "thread stacks panic: a stack given back twice", EndsTheBoot, give_back_a_thread_stack_twice);

} // namespace sched
