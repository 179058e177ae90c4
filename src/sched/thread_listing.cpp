#include "sched/thread_listing.h"

#include "arch/cpu.h"
#include "kernel/boot_profile.h"
#include "kernel/log.h"
#include "lib/format.h"
#include "mm/kernel_heap.h"
#include "sched/scheduler.h"

namespace sched {
namespace {

// Another CPU writes these while we read them; one load each, untorn.
uint64_t load_racy(const uint64_t& field)
{
    return __atomic_load_n(&field, __ATOMIC_RELAXED);
}

struct Snapshot {
    ThreadRow* rows;
    size_t capacity;
    size_t count;
    uint64_t now_tsc;
};

void copy_row(const Thread& thread, void* context)
{
    auto& snapshot = *static_cast<Snapshot*>(context);
    size_t index = snapshot.count++;
    if (index >= snapshot.capacity)
        return;
    ThreadRow& row = snapshot.rows[index];
    row.id = thread.id();
    lib::format_to_buffer(row.name, sizeof(row.name), "{}", thread.name());
    row.state = thread.state();
    row.priority = thread.priority();
    row.cpu = thread.last_cpu();
    row.pinned_cpu = thread.pinned_cpu();
    row.run_time_cycles = run_time_cycles_until(thread, snapshot.now_tsc);
}

// "12.345" for cycles at cycles_per_ms; "?" before the TSC's rate is known.
void format_milliseconds(char* buffer, size_t capacity, uint64_t cycles, uint64_t cycles_per_ms)
{
    if (cycles_per_ms == 0) {
        lib::format_to_buffer(buffer, capacity, "?");
        return;
    }
    uint64_t microseconds = cycles / (cycles_per_ms / 1000 == 0 ? 1 : cycles_per_ms / 1000);
    lib::format_to_buffer(buffer, capacity, "{}.{:03}", microseconds / 1000, microseconds % 1000);
}

} // namespace

const char* priority_name(Priority priority)
{
    switch (priority) {
    case Priority::Low:
        return "low";
    case Priority::Normal:
        return "normal";
    case Priority::High:
        return "high";
    }
    return "?";
}

uint64_t run_time_cycles_until(const Thread& thread, uint64_t now_tsc)
{
    // A running thread's current stint is not in m_run_cycles yet. Another
    // CPU may switch it in or out while we look: take the figures only when
    // the thread was Running before and after reading them, and never count
    // a stint that would start after now.
    for (;;) {
        ThreadState before = thread.state();
        uint64_t counted = load_racy(thread.m_run_cycles);
        if (before != ThreadState::Running)
            return counted;
        uint64_t switched_in_at = load_racy(thread.m_switched_in_at);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (thread.state() != ThreadState::Running || load_racy(thread.m_run_cycles) != counted)
            continue;
        return counted + (now_tsc > switched_in_at ? now_tsc - switched_in_at : 0);
    }
}

size_t snapshot_threads(ThreadRow* rows, size_t capacity)
{
    Snapshot snapshot { rows, capacity, 0, arch::read_timestamp_counter() };
    for_each_thread(copy_row, &snapshot);
    return snapshot.count;
}

void log_thread_table()
{
    // Room for threads spawned between the count and the snapshot.
    constexpr size_t kSlack = 16;
    size_t capacity = thread_count() + kSlack;
    auto* rows = static_cast<ThreadRow*>(mm::kalloc(capacity * sizeof(ThreadRow), alignof(ThreadRow)));
    if (rows == nullptr) {
        kernel::log(kernel::LogTag::Raw, "threads: no memory for a snapshot of {} threads", capacity);
        return;
    }
    size_t count = snapshot_threads(rows, capacity);
    uint64_t cycles_per_ms = kernel::tsc_cycles_per_ms();
    kernel::log(kernel::LogTag::Raw, "{:>5} {:<20} {:<9} {:>3} {:<7} {:>6} {:>12}", "ID", "NAME", "STATE",
        "CPU", "PRIO", "PINNED", "RUN MS");
    for (size_t i = 0; i < count && i < capacity; ++i) {
        const ThreadRow& row = rows[i];
        char pinned[12];
        if (row.pinned_cpu == kAnyCpu)
            lib::format_to_buffer(pinned, sizeof(pinned), "any");
        else
            lib::format_to_buffer(pinned, sizeof(pinned), "{}", row.pinned_cpu);
        char run_time[24];
        format_milliseconds(run_time, sizeof(run_time), row.run_time_cycles, cycles_per_ms);
        kernel::log(kernel::LogTag::Raw, "{:>5} {:<20} {:<9} {:>3} {:<7} {:>6} {:>12}", row.id, row.name,
            thread_state_name(row.state), row.cpu, priority_name(row.priority), pinned, run_time);
    }
    if (count > capacity)
        kernel::log(kernel::LogTag::Raw, "({} more threads spawned while the list was read: not shown)",
            count - capacity);
    unsigned online = arch::cpu_count_online();
    kernel::log(kernel::LogTag::Raw, "{} threads, {} CPU{} online", count, online, online == 1 ? "" : "s");
    mm::kfree(rows);
}

} // namespace sched
