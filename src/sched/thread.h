#pragma once

// Kernel threads. Each has a name, an ID, a state, a kernel stack of its own
// (frames mapped above an unmapped guard page, src/sched/thread_stack.h) and
// its registers saved on that stack while it does not run.
//
//     auto worker = sched::spawn("worker", count_to, &limit);
//     if (!worker) ...;                         // no memory: a ThreadError
//     uint64_t result = sched::join(worker.value());
//
// A thread ends by returning from its function (the value is its result)
// or by calling exit_thread. Every spawned thread is joined exactly once,
// or detached (then the idle thread frees it once it has ended).

#include <stddef.h>
#include <stdint.h>

#include "arch/thread_context.h"
#include "lib/atomic.h"
#include "lib/result.h"
#include "sched/wait_queue.h"
#include "sync/held_lock_stack.h"

namespace sched {

enum class ThreadState : uint8_t {
    Runnable, // on a run queue
    Running, // on a CPU
    Blocked, // on a wait queue or asleep
    Dead, // ended; waits for join (or the reaper, when detached)
};
const char* thread_state_name(ThreadState state);

// Round robin within a priority; a higher one always runs first.
enum class Priority : uint8_t { Low = 0, Normal = 1, High = 2 };
inline constexpr unsigned kPriorityCount = 3;

inline constexpr unsigned kAnyCpu = ~0u;
inline constexpr size_t kThreadNameCapacity = 32;

using ThreadFunction = uint64_t (*)(void* argument);

struct SpawnOptions {
    Priority priority = Priority::Normal;
    unsigned cpu = kAnyCpu; // pinned to this CPU index (affinity), or any
};

class Thread {
public:
    uint64_t id() const { return m_id; }
    const char* name() const { return m_name; }
    ThreadState state() const { return m_state.load(lib::MemoryOrder::Acquire); }
    Priority priority() const { return m_priority; }
    unsigned pinned_cpu() const { return m_pinned_cpu; }
    unsigned last_cpu() const { return m_cpu; }
    // Cycles (TSC) spent running, up to its last switch off a CPU.
    uint64_t run_time_cycles() const { return m_run_cycles; }
    uint64_t stack_bottom() const { return m_stack_bottom; }
    uint64_t stack_top() const { return m_stack_top; }
    uint64_t stack_guard() const { return m_stack_guard; }
    bool is_idle() const { return m_idle; }

    // Scheduler internals below: only src/sched touches them.
    uint64_t m_id = 0;
    char m_name[kThreadNameCapacity] = {};
    // "kernel stack of thread 'name' (id N)": what a stack overflow names.
    char m_stack_description[kThreadNameCapacity + 48] = {};
    lib::AtomicEnum<ThreadState> m_state { ThreadState::Runnable };
    Priority m_priority = Priority::Normal;
    bool m_idle = false;
    bool m_detached = false;
    unsigned m_pinned_cpu = kAnyCpu;
    unsigned m_cpu = 0; // where it runs or last ran
    // True from when a CPU picks it until that CPU has finished switching
    // away from it: no second CPU may load its registers before then.
    lib::Atomic<bool> m_on_cpu { false };
    arch::ThreadContext m_context;
    uint64_t m_stack_guard = 0, m_stack_bottom = 0, m_stack_top = 0;
    bool m_owns_stack = false; // false: a CPU's boot stack, never freed
    ThreadFunction m_function = nullptr;
    void* m_argument = nullptr;
    uint64_t m_result = 0;
    uint64_t m_run_cycles = 0;
    uint64_t m_switched_in_at = 0;
    uint64_t m_slice_ticks = 0; // ticks in its current time slice
    uint64_t m_wake_at_tsc = 0; // asleep until then
    // Links: the run queue or a wait queue (one at a time), the sleep
    // list, and the list of all threads.
    Thread* m_queue_next = nullptr;
    Thread* m_sleep_next = nullptr;
    Thread* m_all_previous = nullptr;
    Thread* m_all_next = nullptr;
    // Joiners wait here for m_state to become Dead.
    WaitQueue m_exited;
    // The sleeping locks it holds, for the lock-order validator (spinlocks
    // are per CPU: sync::this_cpu_spinlocks()).
    sync::HeldLockStack m_held_locks;
};

enum class ThreadError : uint8_t { OutOfMemory, OutOfStackSlots, NoSuchCpu };
const char* thread_error_name(ThreadError error);

// A new thread running function(argument), Runnable at once.
lib::Result<Thread*, ThreadError> spawn(
    const char* name, ThreadFunction function, void* argument, SpawnOptions options = {});
// Waits until the thread has ended, frees it and returns its result.
// Joining yourself, an idle thread or a detached thread panics.
uint64_t join(Thread* thread);
// The thread is freed when it ends; never join it.
void detach(Thread* thread);
[[noreturn]] void exit_thread(uint64_t result);

// The calling thread; nullptr before the scheduler runs on this CPU.
Thread* current_thread();

// Visits every thread (IDs, names, states), with the thread list locked:
// visit must not block, spawn or join.
void for_each_thread(void (*visit)(const Thread& thread, void* context), void* context);
// Number of threads that exist (idle threads included).
size_t thread_count();

// For fault reports and panics: "  thread 'name' (id N), kernel stack
// bottom-top, guard page at ..." for the calling CPU's thread, if any.
void log_current_thread_for_report();

} // namespace sched
