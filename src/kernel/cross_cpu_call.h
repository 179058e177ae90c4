#pragma once

// Running a function on other CPUs: the boot CPU's way to put every CPU to
// work (the torture tests, benchmarks) and the kernel's way to ask them for
// something (a TLB flush). A CPU runs what it is asked in its idle thread,
// with interrupts on, so a long job does not keep it deaf to IPIs: the IPI
// that announces the job preempts the thread running there, if that thread
// allows preemption (one that has it disabled runs on to the interrupt after
// it re-enables it, a tick at most), and the job goes before every queued
// thread. The caller waits until every CPU asked has
// finished. A job never blocks: might_sleep() panics in an idle thread.
//
// Owner: the "ipi" work of issue 13. Torture tests code against these
// names; keep them.

#include <stdint.h>

namespace kernel {

using CpuJob = void (*)(void* argument);

// A set of CPUs by index (arch::PerCpu::index), up to 64.
class CpuSet {
public:
    constexpr CpuSet() = default;
    static CpuSet all_online();
    static constexpr CpuSet just(unsigned index) { return CpuSet(uint64_t { 1 } << index); }

    constexpr bool contains(unsigned index) const { return index < 64 && (m_bits >> index & 1) != 0; }
    constexpr void add(unsigned index) { m_bits |= uint64_t { 1 } << index; }
    constexpr void remove(unsigned index) { m_bits &= ~(uint64_t { 1 } << index); }
    // A loop, not __builtin_popcountll: without -mpopcnt that calls
    // libgcc's __popcountdi2, which the freestanding kernel does not link.
    constexpr unsigned count() const
    {
        unsigned count = 0;
        for (uint64_t bits = m_bits; bits != 0; bits &= bits - 1)
            ++count;
        return count;
    }
    constexpr uint64_t bits() const { return m_bits; }

private:
    constexpr explicit CpuSet(uint64_t bits)
        : m_bits(bits)
    {
    }
    uint64_t m_bits = 0;
};

// Runs job(argument) on every CPU in cpus, the calling CPU included when it
// is in the set (it runs its share last, after asking the others, with
// preemption off), and returns when all are done. Offline CPUs in the set
// are ignored. Must be called with interrupts on; callers take turns.
void run_on_cpus(CpuSet cpus, CpuJob job, void* argument);

// For each CPU's idle thread (src/sched/scheduler.cpp), which runs the
// jobs it is given with interrupts on: whether one waits for the calling
// CPU, and running it (false when there was none).
bool cross_cpu_job_pending();
bool run_pending_cross_cpu_job();

} // namespace kernel
