#include "sched/thread.h"

#include <new>

#include "arch/cpu.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "lib/format.h"
#include "mm/kernel_heap.h"
#include "sched/scheduler.h"
#include "sched/scheduler_internal.h"
#include "sched/thread_stack_cache.h"
#include "sync/lock_validator.h"

namespace sched {
namespace {

// Every thread that exists, for `threads`, rayos-threads and tests.
struct ThreadList {
    Thread* head = nullptr;
    size_t count = 0;
};
sync::Locked<ThreadList> g_threads;
lib::Atomic<uint64_t> g_next_id = 1;

// Ended detached threads, for the idle threads to free; also decides,
// under its lock, whether an ending thread is detached.
struct ReapList {
    Thread* head = nullptr;
};
sync::Locked<ReapList> g_reap;

void destroy(Thread& thread)
{
    // Its last switch away must be over before its stack goes.
    while (thread.m_on_cpu.load(lib::MemoryOrder::Acquire))
        arch::cpu_relax();
    unregister_thread(thread);
    if (thread.m_owns_stack)
        give_back_thread_stack({ thread.m_stack_guard, thread.m_stack_bottom, thread.m_stack_top });
    thread.~Thread();
    mm::kfree(&thread);
}

} // namespace

const char* thread_state_name(ThreadState state)
{
    switch (state) {
    case ThreadState::Runnable:
        return "runnable";
    case ThreadState::Running:
        return "running";
    case ThreadState::Blocked:
        return "blocked";
    case ThreadState::Dead:
        return "dead";
    }
    return "?";
}

const char* thread_error_name(ThreadError error)
{
    switch (error) {
    case ThreadError::OutOfMemory:
        return "out of memory";
    case ThreadError::OutOfStackSlots:
        return "no stack slot or frame left for its stack";
    case ThreadError::NoSuchCpu:
        return "no such CPU (not online or not scheduling)";
    }
    return "?";
}

void name_thread(Thread& thread, const char* name)
{
    thread.m_id = g_next_id.fetch_add(1, lib::MemoryOrder::Relaxed);
    lib::format_to_buffer(thread.m_name, sizeof(thread.m_name), "{}", name);
    lib::format_to_buffer(thread.m_stack_description, sizeof(thread.m_stack_description),
        "kernel stack of thread '{}' (id {})", thread.m_name, thread.m_id);
}

void register_thread(Thread& thread)
{
    g_threads.with([&](ThreadList& list) {
        thread.m_all_previous = nullptr;
        thread.m_all_next = list.head;
        if (list.head != nullptr)
            list.head->m_all_previous = &thread;
        list.head = &thread;
        ++list.count;
    });
}

void unregister_thread(Thread& thread)
{
    g_threads.with([&](ThreadList& list) {
        if (thread.m_all_previous != nullptr)
            thread.m_all_previous->m_all_next = thread.m_all_next;
        else
            list.head = thread.m_all_next;
        if (thread.m_all_next != nullptr)
            thread.m_all_next->m_all_previous = thread.m_all_previous;
        --list.count;
    });
}

void for_each_thread(void (*visit)(const Thread& thread, void* context), void* context)
{
    g_threads.with([&](ThreadList& list) {
        for (Thread* thread = list.head; thread != nullptr; thread = thread->m_all_next)
            visit(*thread, context);
    });
}

size_t thread_count()
{
    return g_threads.with([](ThreadList& list) { return list.count; });
}

void log_current_thread_for_report()
{
    const Thread* thread = current_thread();
    if (thread == nullptr)
        return;
    kernel::log(kernel::LogTag::Fault, "  thread '{}' (id {}), kernel stack {:#x}-{:#x}, guard page {:#x}",
        thread->name(), thread->id(), thread->stack_bottom(), thread->stack_top(), thread->stack_guard());
}

Thread* current_thread()
{
    return static_cast<Thread*>(arch::current_thread_pointer());
}

lib::Result<void, ThreadError> set_up_thread(Thread& thread, const char* name, SpawnOptions options)
{
    ThreadStack stack;
    if (!take_thread_stack(stack))
        return lib::fail(ThreadError::OutOfStackSlots);
    thread.m_stack_guard = stack.guard;
    thread.m_stack_bottom = stack.bottom;
    thread.m_stack_top = stack.top;
    thread.m_owns_stack = true;
    thread.m_priority = options.priority;
    thread.m_pinned_cpu = options.cpu;
    thread.m_cpu = options.cpu != kAnyCpu ? options.cpu : choose_cpu_for_new_thread();
    name_thread(thread, name);
    register_thread(thread);
    return {};
}

lib::Result<Thread*, ThreadError> create_thread(const char* name, SpawnOptions options)
{
    if (options.cpu != kAnyCpu && !cpu_is_scheduling(options.cpu))
        return lib::fail(ThreadError::NoSuchCpu);
    void* memory = mm::kalloc(sizeof(Thread), alignof(Thread));
    if (memory == nullptr)
        return lib::fail(ThreadError::OutOfMemory);
    auto* thread = new (memory) Thread;
    if (auto set_up = set_up_thread(*thread, name, options); !set_up) {
        thread->~Thread();
        mm::kfree(memory);
        return lib::fail(set_up.error());
    }
    return thread;
}

lib::Result<Thread*, ThreadError> spawn(
    const char* name, ThreadFunction function, void* argument, SpawnOptions options)
{
    auto created = create_thread(name, options);
    if (!created)
        return created;
    Thread& thread = *created.value();
    thread.m_function = function;
    thread.m_argument = argument;
    thread.m_context = arch::prepare_thread_stack(thread.m_stack_top, thread_start, &thread);
    thread.m_state.store(ThreadState::Runnable, lib::MemoryOrder::Release);
    enqueue(thread);
    return &thread;
}

[[noreturn]] void thread_start(void* argument)
{
    finish_switch();
    arch::enable_interrupts();
    auto* thread = static_cast<Thread*>(argument);
    exit_thread(thread->m_function(thread->m_argument));
}

void exit_thread(uint64_t result)
{
    Thread& thread = *current_thread();
    if (!thread.m_owns_stack)
        PANIC("thread '{}' (id {}) runs on a CPU's own stack and cannot exit", thread.name(), thread.id());
    // A lock that leaves with its holder is never released: every later
    // taker would wait forever.
    if (thread.m_held_locks.depth() != 0) {
        const sync::HeldLockStack& held = thread.m_held_locks;
        const sync::HeldLock& innermost = held.entry(held.recorded() - 1);
        PANIC("thread '{}' (id {}) ended holding {} sleeping lock(s), {} taken at {}:{}: no one could take "
              "them again",
            thread.name(), thread.id(), held.depth(), sync::describe_lock_class(*innermost.key).text,
            innermost.acquired.site.file, innermost.acquired.site.line);
    }
    refuse_switch_while_locked("exit_thread");
    thread.m_result = result;
    arch::disable_interrupts();
    g_reap.with([&](ReapList& reap) {
        thread.m_state.store(ThreadState::Dead, lib::MemoryOrder::Release);
        if (thread.m_detached) {
            thread.m_queue_next = reap.head;
            reap.head = &thread;
        }
    });
    thread.m_exited.wake_all();
    schedule();
    PANIC("thread '{}' (id {}) ran again after it ended", thread.name(), thread.id());
}

uint64_t join(Thread* thread)
{
    Thread* self = current_thread();
    if (thread == self)
        PANIC("thread '{}' (id {}) joins itself: it would wait forever", thread->name(), thread->id());
    if (!thread->m_owns_stack || thread->m_idle || thread->m_detached)
        PANIC("join of thread '{}' (id {}): idle, a CPU's own flow or detached threads are never joined",
            thread->name(), thread->id());
    might_sleep("join");
    thread->m_exited.wait_until([&] { return thread->state() == ThreadState::Dead; });
    uint64_t result = thread->m_result;
    destroy(*thread);
    return result;
}

void detach(Thread* thread)
{
    bool ended = g_reap.with([&](ReapList& reap) {
        thread->m_detached = true;
        if (thread->state() != ThreadState::Dead)
            return false;
        thread->m_queue_next = reap.head;
        reap.head = thread;
        return true;
    });
    (void)ended;
}

bool reap_one_detached_thread()
{
    Thread* thread = g_reap.with([](ReapList& reap) {
        Thread* first = reap.head;
        if (first != nullptr)
            reap.head = first->m_queue_next;
        return first;
    });
    if (thread == nullptr)
        return false;
    destroy(*thread);
    return true;
}

} // namespace sched
