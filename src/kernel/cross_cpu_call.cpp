#include "kernel/cross_cpu_call.h"

#include "arch/cpu.h"
#include "arch/cross_cpu.h"
#include "arch/interrupts.h"
#include "kernel/panic.h"
#include "lib/atomic.h"
#include "sync/preemption_guard.h"

namespace kernel {
namespace {

using arch::kMaxCpus;
static_assert(kMaxCpus <= 64, "a CpuSet is one 64-bit word");

// One job at a time per CPU: the caller writes the argument, then the job
// (release); the CPU reads the job (acquire), runs it and clears it, which
// tells the caller it is done.
struct Mailbox {
    lib::Atomic<CpuJob> job;
    void* argument;
};
Mailbox g_mailboxes[kMaxCpus];

// Callers one at a time, waiting with interrupts on (a CPU running a job
// may need this CPU to answer a TLB shootdown).
lib::Atomic<bool> g_caller_busy;

bool has_job(unsigned index)
{
    return g_mailboxes[index].job.load(lib::MemoryOrder::Acquire) != nullptr;
}

void run_own_job(unsigned index)
{
    Mailbox& mailbox = g_mailboxes[index];
    CpuJob job = mailbox.job.load(lib::MemoryOrder::Acquire);
    job(mailbox.argument);
    mailbox.job.store(nullptr, lib::MemoryOrder::Release);
}

} // namespace

CpuSet CpuSet::all_online()
{
    unsigned online = arch::cpu_count_online();
    return CpuSet(online >= 64 ? ~uint64_t { 0 } : (uint64_t { 1 } << online) - 1);
}

void run_on_cpus(CpuSet cpus, CpuJob job, void* argument)
{
    if (!arch::interrupts_enabled())
        PANIC("run_on_cpus called with interrupts off");
    CpuSet targets;
    for (unsigned i = 0; i < arch::cpu_count_online(); ++i) {
        if (cpus.contains(i))
            targets.add(i);
    }
    // Callers take turns. The wait is with preemption on: a caller waiting
    // on a CPU that the current caller has sent a job to must let that
    // CPU's idle thread take it over to run the job.
    while (g_caller_busy.exchange(true, lib::MemoryOrder::Acquire))
        arch::cpu_relax();
    // The caller stays on its CPU from here: its share runs there, and the
    // others' mailboxes are theirs (a caller moved in between would run its
    // share on the wrong CPU and leave its own CPU's undone).
    sync::PreemptionGuard stay_on_this_cpu;
    unsigned self = arch::current_cpu_index();
    bool run_here = targets.contains(self);
    targets.remove(self);
    for (unsigned i = 0; i < kMaxCpus; ++i) {
        if (!targets.contains(i))
            continue;
        g_mailboxes[i].argument = argument;
        g_mailboxes[i].job.store(job, lib::MemoryOrder::Release);
        arch::wake_cpu(i);
    }
    if (run_here)
        job(argument);
    for (unsigned i = 0; i < kMaxCpus; ++i) {
        while (targets.contains(i) && has_job(i))
            arch::cpu_relax();
    }
    g_caller_busy.store(false, lib::MemoryOrder::Release);
}

bool cross_cpu_job_pending()
{
    return has_job(arch::current_cpu_index());
}

bool run_pending_cross_cpu_job()
{
    unsigned self = arch::current_cpu_index();
    if (!has_job(self))
        return false;
    run_own_job(self);
    return true;
}

} // namespace kernel
