// Kernel tests of run_on_cpus: which CPUs run a job, how often, and the
// IPI round trip it costs. Under -smp 1 the sets shrink to the boot CPU.

#include <stdint.h>

#include "arch/cpu.h"
#include "kernel/boot_profile.h"
#include "kernel/cross_cpu_call.h"
#include "ktest/ktest.h"
#include "lib/atomic.h"

namespace kernel {
namespace {

using arch::kMaxCpus;

// Per CPU index: how many times the job ran there, by the index of the CPU
// that ran it (its own per-CPU block's, through GS).
struct Runs {
    lib::Atomic<unsigned> count[kMaxCpus];
};

void reset(Runs& runs)
{
    for (lib::Atomic<unsigned>& count : runs.count)
        count.store(0);
}

void record_run(void* argument)
{
    auto& runs = *static_cast<Runs*>(argument);
    unsigned self = arch::current_cpu_index();
    runs.count[self].fetch_add(1);
}

// Runs record_run on cpus and checks that exactly the online CPUs of the
// set ran it, once each.
void expect_runs_exactly_on(ktest::Context& ktest_context, CpuSet cpus)
{
    static Runs runs;
    reset(runs);
    run_on_cpus(cpus, record_run, &runs);
    unsigned online = arch::cpu_count_online();
    for (unsigned i = 0; i < kMaxCpus; ++i) {
        unsigned expected = i < online && cpus.contains(i) ? 1 : 0;
        if (runs.count[i].load() != expected)
            ktest_context.diagnostic(
                "CPU {} ran the job {} times, expected {}", i, runs.count[i].load(), expected);
        KEXPECT_EQ(runs.count[i].load(), expected);
    }
}

void do_nothing(void*) { }

} // namespace

KTEST(cross_cpu_call, a_job_runs_once_on_every_online_cpu)
{
    expect_runs_exactly_on(ktest_context, CpuSet::all_online());
    KEXPECT_EQ(CpuSet::all_online().count(), arch::cpu_count_online());
}

KTEST(cross_cpu_call, a_job_runs_only_on_the_cpus_asked)
{
    CpuSet odd;
    for (unsigned i = 1; i < arch::cpu_count_online(); i += 2)
        odd.add(i);
    expect_runs_exactly_on(ktest_context, odd);
    CpuSet last = CpuSet::just(arch::cpu_count_online() - 1);
    expect_runs_exactly_on(ktest_context, last);
}

KTEST(cross_cpu_call, an_empty_set_runs_nothing)
{
    expect_runs_exactly_on(ktest_context, CpuSet());
}

KTEST(cross_cpu_call, a_set_of_only_the_caller_runs_it_here)
{
    expect_runs_exactly_on(ktest_context, CpuSet::just(arch::current_cpu_index()));
}

KTEST(cross_cpu_call, offline_cpus_in_the_set_are_ignored)
{
    expect_runs_exactly_on(ktest_context, CpuSet::just(kMaxCpus - 1));
}

// Many jobs in a row on every CPU: no wake-up is lost (a lost one hangs the
// run, which the harness reports with this test's name).
KTEST(cross_cpu_call, a_thousand_calls_in_a_row_all_complete)
{
    static Runs runs;
    reset(runs);
    constexpr unsigned kCalls = 1000;
    for (unsigned call = 0; call < kCalls; ++call)
        run_on_cpus(CpuSet::all_online(), record_run, &runs);
    for (unsigned i = 0; i < arch::cpu_count_online(); ++i)
        KEXPECT_EQ(runs.count[i].load(), kCalls);
}

KTEST(cross_cpu_call, ipi_round_trip)
{
    if (arch::cpu_count_online() < 2)
        KSKIP("one CPU online: there is no other CPU to send an IPI to");
    uint64_t cycles_per_ms = tsc_cycles_per_ms();
    KASSERT_GT(cycles_per_ms, uint64_t { 0 });
    constexpr unsigned kCalls = 1000;
    uint64_t started = arch::read_timestamp_counter();
    for (unsigned call = 0; call < kCalls; ++call)
        run_on_cpus(CpuSet::just(1), do_nothing, nullptr);
    uint64_t average = (arch::read_timestamp_counter() - started) / kCalls;
    // Whole nanoseconds, truncated: tenths of a microsecond were 3% of a
    // 3 us round trip, coarser than the TSC rate test_smp.py checks it with.
    uint64_t nanoseconds = average * 1'000'000 / cycles_per_ms;
    ktest_context.diagnostic("IPI round trip: {} cycles ({} ns)", average, nanoseconds);
}

} // namespace kernel
