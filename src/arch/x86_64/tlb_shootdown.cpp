#include "arch/x86_64/tlb_shootdown.h"

#include "arch/cpu.h"
#include "arch/page_size.h"
#include "arch/x86_64/local_apic.h"
#include "arch/x86_64/per_cpu.h"
#include "arch/x86_64/vectors.h"
#include "kernel/boot_profile.h"
#include "kernel/panic.h"
#include "lib/atomic.h"
#include "sync/interrupt_guard.h"

namespace arch {
namespace {

// The one request in flight: written by its initiator before it marks any
// CPU pending, read by each pending CPU before it acknowledges.
lib::Atomic<uint64_t> g_start;
lib::Atomic<uint64_t> g_pages;
lib::Atomic<unsigned> g_unanswered;
lib::Atomic<bool> g_pending[kMaxCpus];
lib::Atomic<bool> g_initiator_busy;

void flush_local(uint64_t start, uint64_t pages)
{
    for (uint64_t i = 0; i < pages; ++i)
        asm volatile("invlpg (%0)" : : "r"(start + i * kPageSize) : "memory");
}

// Answers the request pending for this CPU, if any. The exchange makes the
// answer happen once even when the interrupt handler and a waiting
// initiator on this CPU both look.
void answer_pending_request()
{
    unsigned self = current_cpu_index();
    if (!g_pending[self].exchange(false, lib::MemoryOrder::Acquire))
        return;
    flush_local(g_start.load(lib::MemoryOrder::Relaxed), g_pages.load(lib::MemoryOrder::Relaxed));
    ++this_cpu().tlb_shootdowns_received;
    g_unanswered.fetch_add(static_cast<unsigned>(-1), lib::MemoryOrder::Release);
}

// An answer takes microseconds. A CPU that never gives one is spinning
// with interrupts off (waiting for a lock this CPU holds, say) or is
// stopped: a deadlock, named in a panic instead of a silent hang.
constexpr uint64_t kAnswerTimeoutMs = 2000;

void wait_for_every_answer(unsigned online, unsigned self)
{
    uint64_t cycles_per_ms = kernel::tsc_cycles_per_ms();
    uint64_t deadline = read_timestamp_counter() + kAnswerTimeoutMs * cycles_per_ms;
    while (g_unanswered.load(lib::MemoryOrder::Acquire) != 0) {
        cpu_relax();
        if (cycles_per_ms == 0 || read_timestamp_counter() < deadline)
            continue;
        unsigned first_silent = self;
        for (unsigned i = 0; i < online && first_silent == self; ++i) {
            if (i != self && g_pending[i].load())
                first_silent = i;
        }
        PANIC("TLB shootdown: {} of {} other CPUs did not answer in {} ms (CPU {} among them): spinning with "
              "interrupts off, or stopped",
            g_unanswered.load(), online - 1, kAnswerTimeoutMs, first_silent);
    }
}

} // namespace

void flush_tlb_on_other_cpus(uint64_t start, size_t pages)
{
    unsigned online = cpu_count_online();
    if (online < 2 || pages == 0)
        return;
    // Interrupts off throughout: the initiator must not be preempted while
    // it holds the initiator's turn (another initiator on its CPU would spin
    // for it forever), nor moved to another CPU (it skips its own CPU).
    sync::InterruptGuard stay_on_this_cpu;
    while (g_initiator_busy.exchange(true, lib::MemoryOrder::Acquire)) {
        answer_pending_request();
        cpu_relax();
    }
    unsigned self = current_cpu_index();
    g_start.store(start, lib::MemoryOrder::Relaxed);
    g_pages.store(pages, lib::MemoryOrder::Relaxed);
    g_unanswered.store(online - 1, lib::MemoryOrder::Relaxed);
    for (unsigned i = 0; i < online; ++i) {
        if (i == self)
            continue;
        g_pending[i].store(true, lib::MemoryOrder::Release);
        send_ipi(IpiDestination::Target, cpu_by_index(i)->apic_id, IpiDelivery::Fixed, kTlbShootdownVector);
    }
    wait_for_every_answer(online, self);
    ++this_cpu().tlb_shootdowns_sent;
    g_initiator_busy.store(false, lib::MemoryOrder::Release);
}

void answer_tlb_shootdown_interrupt(InterruptFrame&)
{
    answer_pending_request();
    local_apic_end_of_interrupt();
}

} // namespace arch
