#pragma once

// For the kernel tests of the blocking locks: a crew of threads spread
// over the machine, some pinned to each online CPU (so every CPU contends)
// and some unpinned (so the scheduler moves them), all joined at the end.

#include <stddef.h>
#include <stdint.h>

#include "arch/cpu.h"
#include "kernel/cross_cpu_call.h"
#include "sched/thread.h"

namespace sync {

class ThreadCrew {
public:
    static constexpr size_t kMaxThreads = 4 * arch::kMaxCpus + 8;

    // per_cpu threads pinned to each online CPU, then unpinned more; each
    // runs function(arguments + index * argument_stride) with its index
    // in spawn order. False when a spawn failed (those spawned still run
    // and are joined by join_all).
    template <typename Argument>
    bool spawn(const char* name, sched::ThreadFunction function, Argument* arguments, unsigned per_cpu,
        unsigned unpinned)
    {
        kernel::CpuSet online = kernel::CpuSet::all_online();
        for (unsigned cpu = 0; cpu < arch::kMaxCpus; ++cpu) {
            if (!online.contains(cpu))
                continue;
            for (unsigned i = 0; i < per_cpu; ++i) {
                if (!spawn_one(name, function, &arguments[m_count], sched::SpawnOptions { .cpu = cpu }))
                    return false;
            }
        }
        for (unsigned i = 0; i < unpinned; ++i) {
            if (!spawn_one(name, function, &arguments[m_count], sched::SpawnOptions {}))
                return false;
        }
        return true;
    }

    // Joins every thread spawned; returns the sum of their results.
    uint64_t join_all()
    {
        uint64_t sum = 0;
        for (size_t i = 0; i < m_count; ++i)
            sum += sched::join(m_threads[i]);
        m_count = 0;
        return sum;
    }

    size_t count() const { return m_count; }
    // How many threads spawn() would start, for sizing the arguments.
    static size_t planned(unsigned per_cpu, unsigned unpinned)
    {
        return size_t(kernel::CpuSet::all_online().count()) * per_cpu + unpinned;
    }

private:
    bool spawn_one(
        const char* name, sched::ThreadFunction function, void* argument, sched::SpawnOptions options)
    {
        if (m_count == kMaxThreads)
            return false;
        auto thread = sched::spawn(name, function, argument, options);
        if (!thread)
            return false;
        m_threads[m_count++] = thread.value();
        return true;
    }

    sched::Thread* m_threads[kMaxThreads] = {};
    size_t m_count = 0;
};

} // namespace sync
