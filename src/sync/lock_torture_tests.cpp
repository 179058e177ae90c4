// Kernel tests of the spinlock under contention from every CPU at once
// (issue 13): each CPU increments one shared counter many times under the
// lock with a plain read-modify-write (volatile, so the compiler keeps each
// load and store, and a few dozen reads between them), so a lock that lets
// two CPUs in at once loses updates and the total comes out short. Each CPU
// times how long it waits for the lock (TSC cycles); the test reports each
// CPU's mean and longest wait and the spread (the largest per-CPU mean over
// the smallest): how fairly the lock shares itself out. Under -smp 1 it is
// the same test on one CPU.

#include <stdint.h>

#include "arch/cpu.h"
#include "ktest/all_cpus.h"
#include "ktest/ktest.h"
#include "ktest/torture_scale.h"
#include "sync/spinlock.h"

namespace sync {
namespace {

constexpr unsigned kIncrementsPerCpu = 100000;
// Reads of the counter while the lock is held (why reads: below).
constexpr unsigned kReadsInside = 64;

struct CpuWaits {
    uint64_t increments;
    uint64_t total_cycles;
    uint64_t longest_cycles;
};

template <typename Lock, typename Guard>
struct LockTorture {
    Lock lock;
    volatile uint64_t counter = 0;
    CpuWaits waits[ktest::kMaxTestCpus] {};

    void operator()(unsigned cpu)
    {
        CpuWaits mine {};
        uint64_t increments = ktest::torture_operations(kIncrementsPerCpu);
        for (uint64_t i = 0; i < increments; ++i) {
            uint64_t asked = arch::read_timestamp_counter();
            Guard guard(lock);
            uint64_t waited = arch::read_timestamp_counter() - asked;
            uint64_t value = counter;
            // The lock is held across a few dozen reads: a window wide
            // enough that CPUs a broken lock lets in together overlap. Not
            // PAUSEs: under QEMU's TCG each PAUSE leaves the CPU's loop and
            // takes QEMU's global lock, which every waiting CPU's PAUSE
            // takes too, so the holder would queue behind the waiters once
            // a PAUSE (the README gives the timings).
            for (unsigned read = 0; read < kReadsInside; ++read)
                (void)counter;
            counter = value + 1;
            ++mine.increments;
            mine.total_cycles += waited;
            if (waited > mine.longest_cycles)
                mine.longest_cycles = waited;
        }
        // Written once at the end: the records share cache lines.
        waits[cpu] = mine;
    }
};

// The counter holds every CPU's increments, each CPU did its share, and
// the waiting times are reported.
template <typename Torture>
void check_and_report(ktest::Context& ktest_context, Torture& torture)
{
    kernel::CpuSet cpus = kernel::CpuSet::all_online();
    uint64_t increments = ktest::torture_operations(kIncrementsPerCpu);
    ktest_context.diagnostic("lock torture on {} CPUs, {} increments each", cpus.count(), increments);
    KEXPECT_EQ(torture.counter, increments * cpus.count());
    uint64_t smallest_mean = UINT64_MAX;
    uint64_t largest_mean = 0;
    for (unsigned cpu = 0; cpu < ktest::kMaxTestCpus; ++cpu) {
        if (!cpus.contains(cpu))
            continue;
        const CpuWaits& waits = torture.waits[cpu];
        KEXPECT_EQ(waits.increments, increments);
        uint64_t mean = waits.increments != 0 ? waits.total_cycles / waits.increments : 0;
        ktest_context.diagnostic(
            "cpu {}: wait mean {} cycles, longest {} cycles", cpu, mean, waits.longest_cycles);
        smallest_mean = mean < smallest_mean ? mean : smallest_mean;
        largest_mean = mean > largest_mean ? mean : largest_mean;
    }
    uint64_t spread_hundredths = largest_mean * 100 / (smallest_mean != 0 ? smallest_mean : 1);
    ktest_context.diagnostic("wait spread (largest/smallest per-CPU mean) {}.{:02}", spread_hundredths / 100,
        spread_hundredths % 100);
}

} // namespace

KTEST(lock_torture, spinlock_loses_no_increment_from_any_cpu)
{
    LockTorture<Spinlock, SpinlockGuard> torture;
    ktest::run_on_every_cpu(torture);
    check_and_report(ktest_context, torture);
}

} // namespace sync
