#include "drivers/kernel_tick.h"

#include "arch/interrupts.h"
#include "drivers/acpi_pm_timer.h"
#include "drivers/clock_cross_check.h"
#include "kernel/panic.h"
#include "lib/atomic.h"

namespace drivers {
namespace {

lib::Atomic<uint64_t> g_ticks = 0;
uint64_t g_millihertz = 0;
TickSource g_source = TickSource::None;

lib::Atomic<TickObserver> g_tick_observer = nullptr;
lib::Atomic<CpuTickHandler> g_cpu_tick_handler = nullptr;

} // namespace

void set_tick_rate(uint64_t millihertz, TickSource source)
{
    g_millihertz = millihertz;
    g_source = source;
}

void count_tick()
{
    uint64_t ticks = g_ticks.fetch_add(1, lib::MemoryOrder::Relaxed) + 1;
    TickObserver observer = g_tick_observer.load(lib::MemoryOrder::Acquire);
    if (observer != nullptr)
        observer(ticks);
}

void set_tick_observer(TickObserver observer)
{
    g_tick_observer.store(observer, lib::MemoryOrder::Release);
}

void set_cpu_tick_handler(CpuTickHandler handler)
{
    g_cpu_tick_handler.store(handler, lib::MemoryOrder::Release);
}

void count_cpu_tick()
{
    CpuTickHandler handler = g_cpu_tick_handler.load(lib::MemoryOrder::Acquire);
    if (handler != nullptr)
        handler();
}

uint64_t timer_ticks()
{
    return g_ticks.load(lib::MemoryOrder::Relaxed);
}

uint32_t timer_hz()
{
    return static_cast<uint32_t>((g_millihertz + 500) / 1000);
}

uint64_t timer_millihertz()
{
    return g_millihertz;
}

TickSource tick_source()
{
    return g_source;
}

uint64_t uptime_ms()
{
    return timer_hz() == 0 ? 0 : timer_ticks() * 1000 / timer_hz();
}

void sleep_ms(uint64_t ms)
{
    if (!arch::interrupts_enabled())
        PANIC("sleep_ms({}) with interrupts off would never wake", ms);
    // Round up, and count from the next tick: the call comes anywhere
    // inside a tick period, and sleeping less than asked is never right.
    uint64_t ticks = (ms * timer_hz() + 999) / 1000;
    uint64_t until = timer_ticks() + ticks + 1;
    // Ticks alone are not enough under an emulator: QEMU's local APIC timer
    // makes up for a host stall by delivering the missed ticks in a burst,
    // and a sleep counted in ticks then ends early. The ACPI PM timer is a
    // free-running counter no stall can hurry, so when there is one the
    // sleep also lasts until it says ms have passed.
    if (!pm_timer_present()) {
        while (timer_ticks() < until)
            arch::wait_for_interrupt();
        return;
    }
    PmStopwatch stopwatch;
    while (timer_ticks() < until || pm_counts_to_us(stopwatch.elapsed()) < ms * 1000)
        arch::wait_for_interrupt();
}

} // namespace drivers
