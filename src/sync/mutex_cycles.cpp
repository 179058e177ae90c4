#include "sync/mutex_cycles.h"

#include "arch/cpu.h"
#include "kernel/cross_cpu_call.h"
#include "kernel/log.h"
#include "sched/thread.h"
#include "sync/mutex.h"

namespace sync {
namespace {

using kernel::log;
using kernel::LogTag;

constexpr unsigned kWarmUp = 1000;
constexpr unsigned kUncontendedPairs = 20000;
constexpr unsigned kContendedThreads = 2;
constexpr unsigned kContendedAcquisitions = 5000; // each thread's

uint64_t nanoseconds(uint64_t cycles, uint64_t tsc_cycles_per_ms)
{
    return tsc_cycles_per_ms == 0 ? 0 : cycles * 1000000 / tsc_cycles_per_ms;
}

struct Contention {
    Mutex mutex { "bench contended" };
    uint64_t counter = 0;
};

uint64_t contend(void* argument)
{
    auto& contention = *static_cast<Contention*>(argument);
    for (unsigned i = 0; i < kContendedAcquisitions; ++i) {
        MutexGuard guard(contention.mutex);
        ++contention.counter;
    }
    return 0;
}

// The first kContendedThreads online CPUs, or fewer when there are fewer.
unsigned contended_cpus(unsigned (&cpus)[kContendedThreads])
{
    kernel::CpuSet online = kernel::CpuSet::all_online();
    unsigned found = 0;
    for (unsigned cpu = 0; cpu < arch::kMaxCpus && found < kContendedThreads; ++cpu) {
        if (online.contains(cpu))
            cpus[found++] = cpu;
    }
    return found;
}

} // namespace

void measure_mutex_cycles(uint64_t tsc_cycles_per_ms)
{
    Mutex uncontended("bench uncontended");
    for (unsigned i = 0; i < kWarmUp; ++i) {
        uncontended.lock();
        uncontended.unlock();
    }
    uint64_t start = arch::read_timestamp_counter();
    for (unsigned i = 0; i < kUncontendedPairs; ++i) {
        uncontended.lock();
        uncontended.unlock();
    }
    uint64_t cycles = (arch::read_timestamp_counter() - start) / kUncontendedPairs;
    log(LogTag::Bench, "threads mutex_uncontended {} cycles (per lock+unlock, {} ns)", cycles,
        nanoseconds(cycles, tsc_cycles_per_ms));

    unsigned cpus[kContendedThreads] = {};
    if (contended_cpus(cpus) < kContendedThreads) {
        log(LogTag::Boot, "bench: mutex contended: not measured, it needs {} CPUs", kContendedThreads);
        return;
    }
    static Contention contention;
    sched::Thread* threads[kContendedThreads] = {};
    start = arch::read_timestamp_counter();
    for (unsigned i = 0; i < kContendedThreads; ++i) {
        auto thread
            = sched::spawn("bench-mutex", contend, &contention, sched::SpawnOptions { .cpu = cpus[i] });
        if (!thread) {
            log(LogTag::Boot, "bench: mutex contended: not measured, no thread: {}",
                sched::thread_error_name(thread.error()));
            for (unsigned j = 0; j < i; ++j)
                sched::join(threads[j]);
            return;
        }
        threads[i] = thread.value();
    }
    for (sched::Thread* thread : threads)
        sched::join(thread);
    uint64_t acquisitions = uint64_t { kContendedThreads } * kContendedAcquisitions;
    cycles = (arch::read_timestamp_counter() - start) / acquisitions;
    log(LogTag::Bench,
        "threads mutex_contended {} cycles (per acquisition, {} threads on CPUs {} and {}, {} ns)", cycles,
        kContendedThreads, cpus[0], cpus[1], nanoseconds(cycles, tsc_cycles_per_ms));
}

} // namespace sync
