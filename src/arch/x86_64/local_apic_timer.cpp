#include "arch/x86_64/local_apic_timer.h"

#include "arch/cpu.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/local_apic.h"
#include "arch/x86_64/per_cpu.h"
#include "arch/x86_64/vectors.h"
#include "drivers/kernel_tick.h"
#include "lib/atomic.h"

namespace arch {
namespace {

static_assert(kApicTimerDivisor == 16, "the divide register below encodes 16");
constexpr TimerDivide kDivideConfiguration = TimerDivide::By16;

uint32_t g_initial_count = 0; // 0: no periodic timer
ApicTickHandler g_on_boot_cpu_tick = nullptr;
lib::Atomic<uint64_t> g_ticks[kMaxCpus] {};

void on_timer(InterruptFrame&)
{
    unsigned cpu = current_cpu_index();
    g_ticks[cpu].fetch_add(1, lib::MemoryOrder::Relaxed);
    if (cpu == 0 && g_on_boot_cpu_tick != nullptr)
        g_on_boot_cpu_tick();
    drivers::count_cpu_tick();
    local_apic_end_of_interrupt();
}

// Divider and LVT before the initial count: writing the count starts it
// (SDM Vol. 3A 11.5.4).
void start(LvtEntry lvt, uint32_t initial_count)
{
    write_local_apic(LocalApicRegister::TimerDivide, static_cast<uint32_t>(kDivideConfiguration));
    write_local_apic(LocalApicRegister::LvtTimer, lvt.value());
    write_local_apic(LocalApicRegister::TimerInitialCount, initial_count);
}

} // namespace

void start_local_apic_timer_countdown()
{
    start(LvtEntry()
              .set_vector(kApicTimerVector)
              .set_masked(true)
              .set_timer_mode(static_cast<uint32_t>(LvtTimerMode::OneShot)),
        0xFFFFFFFF);
}

uint32_t local_apic_timer_count()
{
    return read_local_apic(LocalApicRegister::TimerCurrentCount);
}

void start_periodic_local_apic_timer(uint32_t initial_count, ApicTickHandler on_boot_cpu_tick)
{
    g_on_boot_cpu_tick = on_boot_cpu_tick;
    set_interrupt_handler(kApicTimerVector, on_timer);
    g_initial_count = initial_count;
    start_ap_local_apic_timer();
}

void start_ap_local_apic_timer()
{
    if (g_initial_count == 0)
        return;
    start(
        LvtEntry().set_vector(kApicTimerVector).set_timer_mode(static_cast<uint32_t>(LvtTimerMode::Periodic)),
        g_initial_count);
}

uint64_t cpu_timer_ticks(unsigned cpu_index)
{
    return cpu_index < kMaxCpus ? g_ticks[cpu_index].load(lib::MemoryOrder::Relaxed) : 0;
}

} // namespace arch
