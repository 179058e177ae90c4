// Waking another CPU: a fixed IPI on kWakeupVector, whose handler only
// acknowledges it. The woken CPU's idle loop then finds its mailbox.

#include "arch/cross_cpu.h"

#include "arch/x86_64/idt.h"
#include "arch/x86_64/local_apic.h"
#include "arch/x86_64/per_cpu.h"
#include "arch/x86_64/tlb_shootdown.h"
#include "arch/x86_64/vectors.h"
#include "kernel/panic.h"

namespace arch {
namespace {

void on_wakeup(InterruptFrame&)
{
    local_apic_end_of_interrupt();
}

} // namespace

void init_cross_cpu_interrupts()
{
    set_interrupt_handler(kWakeupVector, on_wakeup);
    set_interrupt_handler(kTlbShootdownVector, answer_tlb_shootdown_interrupt);
}

void wake_cpu(unsigned index)
{
    PerCpu* cpu = cpu_by_index(index);
    if (cpu == nullptr)
        PANIC("wake_cpu: CPU {} is not online", index);
    send_ipi(IpiDestination::Target, cpu->apic_id, IpiDelivery::Fixed, kWakeupVector);
}

} // namespace arch
