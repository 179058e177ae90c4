#pragma once

// For the kernel tests of src/sched: threads a test spawns and is sure to
// join on every way out (a KASSERT returns early; a thread left behind would
// be a leak and would keep running into the next test), the clocks the
// tests measure with, the TLB shootdowns a call sends and the pages mapped.

#include <stddef.h>
#include <stdint.h>

#include "arch/cpu.h"
#include "arch/page_size.h"
#include "arch/paging.h"
#include "arch/x86_64/per_cpu.h"
#include "drivers/acpi_pm_timer.h"
#include "kernel/boot_profile.h"
#include "lib/atomic.h"
#include "sched/scheduler.h"
#include "sched/thread.h"
#include "sync/interrupt_guard.h"

namespace sched::testing {

// Waits (blocking) until the thread has ended and its CPU has switched away
// from it: only then is its run time final (it is added at switch-out).
// The thread still has to be joined.
inline void wait_until_switched_out(Thread& thread)
{
    thread.m_exited.wait_until([&] { return thread.state() == ThreadState::Dead; });
    while (thread.m_on_cpu.load(lib::MemoryOrder::Acquire))
        arch::cpu_relax();
}

inline uint64_t cycles_to_us(uint64_t cycles)
{
    uint64_t per_ms = kernel::tsc_cycles_per_ms();
    return per_ms == 0 ? 0 : cycles * 1000 / per_ms;
}

// The TSC's value us microseconds from now.
inline uint64_t tsc_in_us(uint64_t us)
{
    return arch::read_timestamp_counter() + us * kernel::tsc_cycles_per_ms() / 1000;
}

// Spins (never yields) until the TSC has advanced by us microseconds.
inline void spin_for_us(uint64_t us)
{
    uint64_t end = tsc_in_us(us);
    while (arch::read_timestamp_counter() < end)
        arch::cpu_relax();
}

// Yields until the TSC has advanced by us microseconds: the thread keeps
// what it holds for that long, whatever the tick rate (a sleep_ms(1) lasts
// a whole tick: 53 ms at timer_hz=19).
inline void yield_for_us(uint64_t us)
{
    uint64_t end = tsc_in_us(us);
    while (arch::read_timestamp_counter() < end)
        yield();
}

// The TLB shootdowns this CPU sent while call ran (interrupts off, so it
// stays on this CPU and the count is this CPU's).
template <typename Call>
uint64_t shootdowns_sent_by(Call call)
{
    sync::InterruptGuard stay_on_this_cpu;
    uint64_t sent_before = arch::this_cpu().tlb_shootdowns_sent;
    call();
    return arch::this_cpu().tlb_shootdowns_sent - sent_before;
}

// What unmapping one range costs the other CPUs: one shootdown request,
// none with one CPU online.
inline uint64_t shootdowns_for_one_unmap()
{
    return arch::cpu_count_online() > 1 ? 1 : 0;
}

// How many pages of [start, end) are mapped (the live page tables).
inline unsigned mapped_pages(uint64_t start, uint64_t end)
{
    unsigned mapped = 0;
    for (uint64_t page = start; page < end; page += arch::kPageSize)
        mapped += arch::look_up_kernel_address(page).mapped ? 1 : 0;
    return mapped;
}

// Up to kCapacity threads. The destructor raises the stop flag (if any)
// and joins every thread not joined yet.
template <size_t kCapacity>
class TestThreads {
public:
    explicit TestThreads(lib::Atomic<bool>* stop = nullptr)
        : m_stop(stop)
    {
    }
    TestThreads(const TestThreads&) = delete;
    TestThreads& operator=(const TestThreads&) = delete;
    ~TestThreads() { join_all(); }

    // nullptr when there is no room or spawn failed (its error in *error).
    Thread* spawn(const char* name, ThreadFunction function, void* argument, SpawnOptions options = {},
        ThreadError* error = nullptr)
    {
        if (m_count == kCapacity)
            return nullptr;
        auto spawned = sched::spawn(name, function, argument, options);
        if (!spawned) {
            if (error != nullptr)
                *error = spawned.error();
            return nullptr;
        }
        m_threads[m_count] = spawned.value();
        m_results[m_count] = 0;
        return m_threads[m_count++];
    }

    size_t count() const { return m_count; }
    Thread& operator[](size_t index) { return *m_threads[index]; }

    // Raises the stop flag and waits for each thread to end (their run
    // times are final then), without freeing them.
    void stop_and_wait()
    {
        if (m_stop != nullptr)
            m_stop->store(true);
        for (size_t i = m_joined; i < m_count; ++i)
            wait_until_switched_out(*m_threads[i]);
    }

    // Joins every thread (raising the stop flag first); result(i) is then
    // thread i's result.
    void join_all()
    {
        if (m_stop != nullptr)
            m_stop->store(true);
        for (; m_joined < m_count; ++m_joined)
            m_results[m_joined] = join(m_threads[m_joined]);
    }
    uint64_t result(size_t index) const { return m_results[index]; }

private:
    lib::Atomic<bool>* m_stop;
    Thread* m_threads[kCapacity] = {};
    uint64_t m_results[kCapacity] = {};
    size_t m_count = 0;
    size_t m_joined = 0;
};

} // namespace sched::testing
