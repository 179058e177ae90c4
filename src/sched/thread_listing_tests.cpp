// Kernel tests of the thread listing (`threads`), and the fixture that
// test/test_gdb.py stops in to read the threads with rayos-threads.

#include "arch/cpu.h"
#include "ktest/ktest.h"
#include "ktest/owners.h"
#include "lib/atomic.h"
#include "lib/string_view.h"
#include "sched/scheduler.h"
#include "sched/thread.h"
#include "sched/thread_listing.h"
#include "sched/wait_queue.h"
#include "sync/interrupt_guard.h"

namespace sched {
namespace {

// A thread that blocks until released, in two named frames of its own, so
// that a debugger's backtrace of it has functions a test can look for.
struct Parking {
    WaitQueue queue;
    lib::Atomic<bool> released = false;
};

[[gnu::noinline]] uint64_t park_until_released(Parking& parking)
{
    parking.queue.wait_until([&] { return parking.released.load(lib::MemoryOrder::Acquire); });
    // Work after the wait: the call above stays a call with a frame, never a jump.
    asm volatile("" ::: "memory");
    return 7;
}

[[gnu::noinline]] uint64_t parked_thread_body(void* argument)
{
    uint64_t result = park_until_released(*static_cast<Parking*>(argument));
    asm volatile("" ::: "memory");
    return result + 1;
}

// Blocked, and switched out: a thread is Blocked from before its CPU has
// left it (that CPU may still be in schedule() on its stack, looking for
// the next thread), and only once it has are its saved registers what a
// debugger reads (test_gdb.py caught it still on CPU 1 once).
void wait_until_blocked(const Thread& thread)
{
    while (thread.state() != ThreadState::Blocked || thread.m_on_cpu.load(lib::MemoryOrder::Acquire))
        yield();
}

uint64_t release_and_join(Parking& parking, Thread* thread)
{
    parking.released.store(true, lib::MemoryOrder::Release);
    parking.queue.wake_all();
    return join(thread);
}

const ThreadRow* find_row(const ThreadRow* rows, size_t count, uint64_t id)
{
    for (size_t i = 0; i < count; ++i) {
        if (rows[i].id == id)
            return &rows[i];
    }
    return nullptr;
}

KTEST(thread_listing, a_blocked_thread_and_the_caller_are_listed_as_they_are)
{
    Parking parking;
    auto spawned = spawn("listed-parked", parked_thread_body, &parking, { Priority::High, kAnyCpu });
    KASSERT_TRUE(spawned.has_value());
    Thread* parked = spawned.value();
    wait_until_blocked(*parked);

    constexpr size_t kCapacity = 64;
    ktest::OwnedBlock storage(kCapacity * sizeof(ThreadRow), alignof(ThreadRow));
    KASSERT_TRUE(storage);
    auto* rows = storage.as<ThreadRow>();
    size_t count = snapshot_threads(rows, kCapacity);
    KEXPECT_EQ(count, thread_count());
    const ThreadRow* row = count <= kCapacity ? find_row(rows, count, parked->id()) : nullptr;
    KEXPECT_TRUE(row != nullptr);
    if (row != nullptr) {
        KEXPECT_TRUE(lib::StringView(row->name) == "listed-parked");
        KEXPECT_EQ(static_cast<int>(row->state), static_cast<int>(ThreadState::Blocked));
        KEXPECT_EQ(static_cast<int>(row->priority), static_cast<int>(Priority::High));
        KEXPECT_EQ(row->pinned_cpu, kAnyCpu);
        KEXPECT_EQ(row->run_time_cycles, parked->run_time_cycles());
    }
    const ThreadRow* self = find_row(rows, count < kCapacity ? count : kCapacity, current_thread()->id());
    KEXPECT_TRUE(self != nullptr);
    if (self != nullptr) {
        KEXPECT_EQ(static_cast<int>(self->state), static_cast<int>(ThreadState::Running));
        KEXPECT_EQ(self->cpu, arch::current_cpu_index());
    }
    KEXPECT_EQ(release_and_join(parking, parked), 8u);
}

KTEST(thread_listing, the_running_thread_counts_its_current_stint)
{
    // run_time_cycles() stops at the last switch away; the listing's figure
    // for a running thread adds the stint since it was switched in. With
    // interrupts off the caller cannot be switched meanwhile.
    sync::InterruptGuard interrupts;
    const Thread& self = *current_thread();
    uint64_t now = arch::read_timestamp_counter();
    uint64_t stint = now - self.m_switched_in_at;
    KEXPECT_EQ(run_time_cycles_until(self, now), self.run_time_cycles() + stint);
    KEXPECT_EQ(run_time_cycles_until(self, now + 1000000), self.run_time_cycles() + stint + 1000000);
}

} // namespace

// test/test_gdb.py puts a breakpoint here: the parked thread is blocked,
// the caller runs. Not static, outside the anonymous namespace, never
// inlined: one symbol a debugger finds by name.
[[gnu::noinline]] void thread_listing_debugger_stop(const Thread& parked)
{
    asm volatile("" ::"r"(&parked) : "memory");
}

namespace {

KTEST_EXPLICIT(thread_listing, a_parked_thread_for_debuggers, 0)
{
    // Pinned to the last CPU, so that with -smp 2 or more the parked thread
    // blocked there and the caller on CPU 0 are on different CPUs.
    Parking parking;
    unsigned cpu = arch::cpu_count_online() - 1;
    auto spawned = spawn("gdb-parked", parked_thread_body, &parking, { Priority::Normal, cpu });
    KASSERT_TRUE(spawned.has_value());
    wait_until_blocked(*spawned.value());
    thread_listing_debugger_stop(*spawned.value());
    KEXPECT_EQ(release_and_join(parking, spawned.value()), 8u);
}

} // namespace
} // namespace sched
