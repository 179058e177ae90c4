#include "sched/scheduler.h"

#include "lib/late_init.h"

#include "arch/cpu.h"
#include "arch/cross_cpu.h"
#include "arch/interrupts.h"
#include "drivers/acpi_pm_timer.h"
#include "drivers/clock_cross_check.h"
#include "drivers/kernel_tick.h"
#include "kernel/boot_profile.h"
#include "kernel/cross_cpu_call.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "sched/run_queue.h"
#include "sched/scheduler_internal.h"
#include "sched/thread_stack.h"
#include "sync/lock_validator.h"

namespace sched {
namespace {

using arch::kMaxCpus;

// One CPU's scheduler. The lock guards the run queue and the sleepers;
// current, idle and previous are only touched by the CPU itself with
// interrupts off.
struct CpuScheduler {
    sync::Spinlock lock;
    RunQueue queue;
    Thread* sleepers = nullptr; // by wake-up time, earliest first
    Thread* current = nullptr;
    Thread* idle = nullptr;
    // The thread just switched away from, until finish_switch lets it go.
    Thread* previous = nullptr;
    // What runs here, for other CPUs deciding whether to interrupt it: never
    // read through current from another CPU (that thread may end and be
    // freed meanwhile).
    lib::Atomic<bool> running_idle = true;
    lib::AtomicEnum<Priority> running_priority { Priority::Low };
    lib::Atomic<bool> need_resched = false;
    lib::Atomic<bool> running = false;
    lib::Atomic<uint64_t> switches = 0;
    lib::Atomic<uint64_t> preemptions = 0;
    lib::Atomic<uint64_t> steals = 0;
};
// In .bss (lib/late_init.h: a lock's declaration site and running_idle are
// not zero, and the array would otherwise be 10 KiB of .data in the image
// GRUB reads), and constructed with the global constructors, which the boot
// runs before anything can reach the scheduler (the APs come online before
// start_scheduler).
lib::LateInit<CpuScheduler> g_cpus[kMaxCpus];
struct CpuSchedulersConstructor {
    CpuSchedulersConstructor()
    {
        for (auto& scheduler : g_cpus)
            scheduler.construct();
    }
} g_cpu_schedulers_constructor;

// The boot CPU's flow, and every application processor's boot flow (its
// idle thread): threads whose stacks are the CPUs' own.
// Constructed as each CPU adopts its flow (a Thread's defaults are not all
// zero either).
lib::LateInit<Thread> g_main_thread;
lib::LateInit<Thread> g_ap_idle_threads[kMaxCpus];
lib::LateInit<Thread> g_boot_cpu_idle_thread;

uint32_t g_timeslice_ms = kDefaultTimesliceMs;
uint64_t g_timeslice_ticks = 1;
lib::Atomic<bool> g_started = false;
lib::Atomic<unsigned> g_next_cpu_hint = 0;

CpuScheduler& this_scheduler()
{
    return *g_cpus[arch::current_cpu_index()];
}

void make_current(CpuScheduler& cpu, Thread& thread)
{
    cpu.current = &thread;
    cpu.running_idle.store(thread.m_idle, lib::MemoryOrder::Relaxed);
    cpu.running_priority.store(thread.m_priority, lib::MemoryOrder::Relaxed);
    arch::set_current_thread_pointer(&thread);
    arch::set_current_kernel_stack(
        thread.m_stack_description, thread.m_stack_guard, thread.m_stack_bottom, thread.m_stack_top);
}

// A thread from another CPU's run queue, for a CPU with nothing to run.
Thread* steal(unsigned self)
{
    unsigned online = arch::cpu_count_online();
    for (unsigned step = 1; step < online; ++step) {
        unsigned victim_index = (self + step) % online;
        CpuScheduler& victim = *g_cpus[victim_index];
        if (victim.queue.unpinned_length() == 0 || !victim.running.load(lib::MemoryOrder::Relaxed))
            continue;
        victim.lock.lock();
        Thread* thread = victim.queue.pop_unpinned();
        victim.lock.unlock();
        if (thread != nullptr) {
            g_cpus[self]->steals.fetch_add(1, lib::MemoryOrder::Relaxed);
            return thread;
        }
    }
    return nullptr;
}

bool work_to_steal(unsigned self)
{
    unsigned online = arch::cpu_count_online();
    for (unsigned other = 0; other < online; ++other) {
        // Only threads free to move count: a queue of threads pinned to
        // their CPU has nothing for this one, which would otherwise loop
        // through schedule() without ever halting.
        if (other != self && g_cpus[other]->queue.unpinned_length() > 0)
            return true;
    }
    return false;
}

void switch_to(CpuScheduler& cpu, unsigned self, Thread& previous, Thread& next)
{
    // A thread preempted on another CPU is queued there before its
    // registers are saved, and may be stolen at once: wait for that CPU to
    // finish its switch (which waits for nothing: it took a thread from its
    // own queue).
    while (next.m_on_cpu.load(lib::MemoryOrder::Acquire))
        arch::cpu_relax();
    next.m_on_cpu.store(true, lib::MemoryOrder::Relaxed);
    // An idle thread is never queued: off the CPU it is simply ready.
    if (previous.m_idle)
        previous.m_state.store(ThreadState::Runnable, lib::MemoryOrder::Release);
    next.m_state.store(ThreadState::Running, lib::MemoryOrder::Release);
    next.m_cpu = self;
    next.m_slice_ticks = 0;
    uint64_t now = arch::read_timestamp_counter();
    previous.m_run_cycles += now - previous.m_switched_in_at;
    next.m_switched_in_at = now;
    cpu.previous = &previous;
    make_current(cpu, next);
    cpu.switches.fetch_add(1, lib::MemoryOrder::Relaxed);
    arch::switch_thread_context(previous.m_context, next.m_context);
    // Back on previous's stack, perhaps on another CPU.
    finish_switch();
}

void insert_sleeper(CpuScheduler& cpu, Thread& thread)
{
    Thread** link = &cpu.sleepers;
    while (*link != nullptr && (*link)->m_wake_at_tsc <= thread.m_wake_at_tsc)
        link = &(*link)->m_sleep_next;
    thread.m_sleep_next = *link;
    *link = &thread;
}

// Blocks the calling thread until the TSC reads at least wake_at.
void sleep_until(uint64_t wake_at)
{
    sync::InterruptGuard interrupts;
    CpuScheduler& cpu = this_scheduler();
    Thread& thread = *cpu.current;
    thread.m_wake_at_tsc = wake_at;
    cpu.lock.lock();
    thread.m_state.store(ThreadState::Blocked, lib::MemoryOrder::Release);
    insert_sleeper(cpu, thread);
    cpu.lock.unlock();
    schedule();
}

// In the tick: every sleeper whose time has come goes back to its queue.
void wake_sleepers(CpuScheduler& cpu)
{
    if (cpu.sleepers == nullptr)
        return;
    uint64_t now = arch::read_timestamp_counter();
    cpu.lock.lock();
    Thread* due = nullptr;
    while (cpu.sleepers != nullptr && cpu.sleepers->m_wake_at_tsc <= now) {
        Thread* thread = cpu.sleepers;
        cpu.sleepers = thread->m_sleep_next;
        thread->m_sleep_next = due;
        due = thread;
    }
    cpu.lock.unlock();
    while (due != nullptr) {
        Thread* thread = due;
        due = thread->m_sleep_next;
        thread->m_sleep_next = nullptr;
        wake(*thread);
    }
}

void on_cpu_tick()
{
    CpuScheduler& cpu = this_scheduler();
    if (!cpu.running.load(lib::MemoryOrder::Relaxed))
        return;
    wake_sleepers(cpu);
    Thread& current = *cpu.current;
    bool others_waiting = cpu.queue.length() > 0;
    if (current.m_idle) {
        if (others_waiting)
            cpu.need_resched.store(true, lib::MemoryOrder::Relaxed);
        return;
    }
    if (++current.m_slice_ticks >= g_timeslice_ticks && others_waiting)
        cpu.need_resched.store(true, lib::MemoryOrder::Relaxed);
}

[[noreturn]] void idle_loop()
{
    unsigned self = arch::current_cpu_index();
    CpuScheduler& cpu = *g_cpus[self];
    for (;;) {
        // Interrupts on for part of every round: an IPI (a TLB shootdown)
        // must never wait on an idle CPU that keeps finding almost-work.
        arch::enable_interrupts();
        if (kernel::run_pending_cross_cpu_job() || reap_one_detached_thread())
            continue;
        arch::disable_interrupts();
        if (cpu.queue.length() > 0 || (g_started.load(lib::MemoryOrder::Relaxed) && work_to_steal(self))) {
            schedule();
            continue;
        }
        if (!kernel::cross_cpu_job_pending())
            arch::enable_interrupts_and_wait();
    }
}

[[noreturn]] void idle_thread_start(void*)
{
    finish_switch();
    idle_loop();
}

// The running flow of this CPU becomes thread (its stack: the CPU's kernel
// stack as the descriptor tables know it).
void adopt_running_flow(CpuScheduler& cpu, Thread& thread, const char* name, bool idle, unsigned index)
{
    arch::KernelStack stack = arch::current_kernel_stack();
    thread.m_idle = idle;
    // Idle threads are never queued; Low is what `threads` shows for them.
    thread.m_priority = idle ? Priority::Low : Priority::Normal;
    thread.m_pinned_cpu = index;
    thread.m_cpu = index;
    thread.m_stack_guard = stack.guard;
    thread.m_stack_bottom = stack.bottom;
    thread.m_stack_top = stack.top;
    thread.m_owns_stack = false;
    name_thread(thread, name);
    thread.m_state.store(ThreadState::Running);
    thread.m_on_cpu.store(true);
    thread.m_switched_in_at = arch::read_timestamp_counter();
    register_thread(thread);
    make_current(cpu, thread);
}

} // namespace

bool cpu_is_scheduling(unsigned cpu)
{
    return cpu < kMaxCpus && g_cpus[cpu]->running.load(lib::MemoryOrder::Acquire);
}

unsigned choose_cpu_for_new_thread()
{
    unsigned online = arch::cpu_count_online();
    unsigned start = g_next_cpu_hint.fetch_add(1, lib::MemoryOrder::Relaxed) % online;
    unsigned best = arch::current_cpu_index();
    size_t best_length = ~size_t { 0 };
    for (unsigned step = 0; step < online; ++step) {
        unsigned index = (start + step) % online;
        if (!cpu_is_scheduling(index))
            continue;
        CpuScheduler& cpu = *g_cpus[index];
        size_t length = cpu.queue.length() + (cpu.running_idle.load(lib::MemoryOrder::Relaxed) ? 0 : 1);
        if (length < best_length) {
            best = index;
            best_length = length;
        }
    }
    return best;
}

void enqueue(Thread& thread)
{
    unsigned target = thread.m_pinned_cpu != kAnyCpu ? thread.m_pinned_cpu : thread.m_cpu;
    CpuScheduler& cpu = *g_cpus[target];
    {
        sync::InterruptGuard interrupts;
        cpu.lock.lock();
        cpu.queue.push(thread);
        cpu.lock.unlock();
    }
    // Hints read without the lock: at worst the switch waits for the
    // target's next tick.
    if (cpu.running_idle.load(lib::MemoryOrder::Relaxed)
        || thread.m_priority > cpu.running_priority.load(lib::MemoryOrder::Relaxed)) {
        cpu.need_resched.store(true, lib::MemoryOrder::Release);
        if (target != arch::current_cpu_index())
            arch::wake_cpu(target);
        else
            preempt_now_if_needed();
    }
}

void finish_switch()
{
    CpuScheduler& cpu = this_scheduler();
    Thread* previous = cpu.previous;
    cpu.previous = nullptr;
    previous->m_on_cpu.store(false, lib::MemoryOrder::Release);
}

void schedule()
{
    if (arch::interrupts_enabled())
        PANIC("schedule() called with interrupts on");
    refuse_switch_while_locked("schedule()");
    unsigned self = arch::current_cpu_index();
    CpuScheduler& cpu = *g_cpus[self];
    Thread& previous = *cpu.current;
    cpu.need_resched.store(false, lib::MemoryOrder::Relaxed);
    // A job another CPU waits for runs first: the idle thread runs it.
    bool job_waits = kernel::cross_cpu_job_pending();
    cpu.lock.lock();
    if (!previous.m_idle && previous.state() == ThreadState::Running) {
        previous.m_state.store(ThreadState::Runnable, lib::MemoryOrder::Release);
        cpu.queue.push(previous);
    }
    Thread* next = job_waits ? nullptr : cpu.queue.pop();
    cpu.lock.unlock();
    if (next == nullptr && !job_waits && g_started.load(lib::MemoryOrder::Relaxed))
        next = steal(self);
    if (next == nullptr)
        next = cpu.idle;
    if (next == &previous) {
        previous.m_state.store(ThreadState::Running, lib::MemoryOrder::Release);
        previous.m_slice_ticks = 0;
        return;
    }
    switch_to(cpu, self, previous, *next);
}

void preempt_at_interrupt_exit(bool interrupted_with_interrupts_on)
{
    if (!interrupted_with_interrupts_on || !arch::preemption_enabled())
        return;
    CpuScheduler& cpu = this_scheduler();
    if (!cpu.running.load(lib::MemoryOrder::Relaxed))
        return;
    // A thread is running where another CPU waits for a job (its IPI is
    // what brought this CPU here): make way for the idle thread, which runs it.
    bool job_waits = !cpu.current->m_idle && kernel::cross_cpu_job_pending();
    if (!job_waits && !cpu.need_resched.load(lib::MemoryOrder::Relaxed))
        return;
    cpu.preemptions.fetch_add(1, lib::MemoryOrder::Relaxed);
    schedule();
}

bool wake(Thread& thread)
{
    ThreadState expected = ThreadState::Blocked;
    if (!thread.m_state.compare_exchange(expected, ThreadState::Runnable))
        return false;
    // A thread that blocked may still be switching away on its CPU: queue
    // it only once its registers are saved. That CPU finishes its switch
    // without waiting for anything, so this wait is short; and because a
    // run queue then only ever holds threads off their CPUs (but a CPU's own
    // preempted thread), two CPUs that switch at once never wait on each
    // other in switch_to.
    while (thread.m_on_cpu.load(lib::MemoryOrder::Acquire))
        arch::cpu_relax();
    enqueue(thread);
    return true;
}

void yield()
{
    if (!cpu_is_scheduling(arch::current_cpu_index()))
        return;
    if (arch::in_interrupt_handler())
        PANIC("yield in an interrupt handler: the interrupted thread would be switched away mid-interrupt");
    refuse_switch_while_locked("yield");
    sync::InterruptGuard interrupts;
    schedule();
}

void refuse_switch_while_locked(const char* what)
{
    // Interrupts off (the caller's, or ours): the held-lock record read is
    // this CPU's, not one this thread left by moving to another CPU.
    sync::InterruptGuard interrupts;
    if (const sync::HeldLock* held = sync::innermost_spinlock_held()) {
        PANIC(
            "{} with spinlock {} held (taken at {}:{}; {} spinlocks held): a switched-out thread would keep "
            "it from every other CPU",
            what, sync::describe_lock_class(*held->key).text, held->acquired.site.file,
            held->acquired.site.line, sync::spinlocks_held());
    }
    if (!arch::preemption_enabled())
        PANIC("{} with preemption disabled: the thread must keep its CPU", what);
}

void preempt_now_if_needed()
{
    // Only where a preemption could happen anyway: a thread with interrupts
    // on, preemption allowed, not in an interrupt handler (whose exit does it).
    if (!arch::interrupts_enabled() || !arch::preemption_enabled() || arch::in_interrupt_handler())
        return;
    sync::InterruptGuard interrupts;
    CpuScheduler& cpu = this_scheduler();
    if (!cpu.running.load(lib::MemoryOrder::Relaxed) || !cpu.need_resched.load(lib::MemoryOrder::Relaxed))
        return;
    cpu.preemptions.fetch_add(1, lib::MemoryOrder::Relaxed);
    schedule();
}

void might_sleep(const char* what)
{
    if (arch::in_interrupt_handler())
        PANIC("{} in an interrupt handler: it would block the interrupted thread", what);
    refuse_switch_while_locked(what);
    if (!arch::interrupts_enabled())
        PANIC("{} with interrupts off: a blocked thread would never be woken", what);
    if (cpu_is_scheduling(arch::current_cpu_index())) {
        const Thread& self = *current_thread();
        if (self.m_idle)
            PANIC("{} in idle thread '{}': a CPU's idle thread never blocks (its CPU would have nothing to "
                  "run)",
                what, self.name());
    }
}

void sleep_ms(uint64_t ms)
{
    if (!cpu_is_scheduling(arch::current_cpu_index())) {
        drivers::sleep_ms(ms);
        return;
    }
    might_sleep("sleep_ms");
    uint64_t cycles_per_ms = kernel::tsc_cycles_per_ms();
    if (cycles_per_ms == 0)
        PANIC("sleep_ms({}) before the TSC's rate is known", ms);
    // The TSC decides when to wake; where there is an ACPI PM timer, it has
    // the last word (a TSC rate measured a little high would end a long
    // sleep early). Its counter wraps after 4.7 s at 24 bits: look at it at
    // least every second.
    constexpr uint64_t kPmLookEveryMs = 1000;
    bool pm = drivers::pm_timer_present();
    drivers::PmStopwatch stopwatch;
    uint64_t elapsed_us = 0;
    uint64_t start = arch::read_timestamp_counter();
    for (;;) {
        uint64_t remaining_us = ms * 1000 - elapsed_us;
        uint64_t chunk_us = remaining_us < kPmLookEveryMs * 1000 ? remaining_us : kPmLookEveryMs * 1000;
        uint64_t now = arch::read_timestamp_counter();
        sleep_until(now + (chunk_us * cycles_per_ms + 999) / 1000);
        elapsed_us = pm ? drivers::pm_counts_to_us(stopwatch.elapsed())
                        : (arch::read_timestamp_counter() - start) * 1000 / cycles_per_ms;
        if (elapsed_us >= ms * 1000)
            return;
    }
}

void start_scheduler(uint32_t timeslice_ms)
{
    g_timeslice_ms = timeslice_ms;
    uint32_t hz = drivers::timer_hz();
    g_timeslice_ticks = hz == 0 ? 1 : (uint64_t(timeslice_ms) * hz + 999) / 1000;
    if (g_timeslice_ticks == 0)
        g_timeslice_ticks = 1;

    CpuScheduler& cpu = *g_cpus[0];
    {
        sync::InterruptGuard interrupts;
        adopt_running_flow(cpu, g_main_thread.construct(), "main", false, 0);
    }
    // Static, as the other CPUs' idle threads: only its stack is allocated.
    Thread& idle = g_boot_cpu_idle_thread.construct();
    if (auto set_up = set_up_thread(idle, "idle/0", SpawnOptions { Priority::Low, 0 }); !set_up)
        PANIC("no stack for CPU 0's idle thread: {}", thread_error_name(set_up.error()));
    idle.m_idle = true;
    idle.m_context = arch::prepare_thread_stack(idle.m_stack_top, idle_thread_start, &idle);
    cpu.idle = &idle;
    drivers::set_cpu_tick_handler(on_cpu_tick);
    cpu.running.store(true, lib::MemoryOrder::Release);
    g_started.store(true, lib::MemoryOrder::Release);
    kernel::log(kernel::LogTag::Boot,
        "scheduler: {} CPUs, time slice {} ms ({} ticks), {} priorities; thread 'main' (id {}) on CPU 0",
        arch::cpu_count_online(), g_timeslice_ms, g_timeslice_ticks, kPriorityCount, g_main_thread->id());
}

bool scheduler_running()
{
    return g_started.load(lib::MemoryOrder::Acquire);
}

uint32_t timeslice_ms()
{
    return g_timeslice_ms;
}

[[noreturn]] void run_idle_thread_on_application_processor()
{
    unsigned self = arch::current_cpu_index();
    CpuScheduler& cpu = *g_cpus[self];
    char name[kThreadNameCapacity];
    lib::format_to_buffer(name, sizeof(name), "idle/{}", self);
    adopt_running_flow(cpu, g_ap_idle_threads[self].construct(), name, true, self);
    cpu.idle = cpu.current;
    cpu.running.store(true, lib::MemoryOrder::Release);
    idle_loop();
}

SchedulerStatistics scheduler_statistics(unsigned cpu)
{
    if (cpu >= kMaxCpus)
        return {};
    CpuScheduler& scheduler = *g_cpus[cpu];
    return { scheduler.switches.load(), scheduler.preemptions.load(), scheduler.steals.load() };
}

} // namespace sched
