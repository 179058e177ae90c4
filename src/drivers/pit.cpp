#include "drivers/pit.h"

#include "arch/interrupts.h"
#include "arch/x86_64/io_port.h"
#include "drivers/interrupt_controller.h"
#include "kernel/panic.h"
#include "lib/atomic.h"

namespace drivers {
namespace {

constexpr arch::IoPort kChannel0Data(0x40);
constexpr arch::IoPort kModeCommand(0x43);
// Mode/command register: channel 0, access low then high byte, mode 2
// (rate generator), binary counting.
constexpr uint8_t kChannel0RateGenerator = 0x34;
constexpr uint8_t kTimerIrq = 0;

lib::Atomic<uint64_t> g_ticks = 0;
uint32_t g_hz = 0;
uint32_t g_divisor = 0;

lib::Atomic<TickObserver> g_tick_observer = nullptr;

void on_tick()
{
    uint64_t ticks = g_ticks.fetch_add(1, lib::MemoryOrder::Relaxed) + 1;
    TickObserver observer = g_tick_observer.load(lib::MemoryOrder::Acquire);
    if (observer != nullptr)
        observer(ticks);
}

} // namespace

uint32_t init_pit(uint32_t hz)
{
    uint32_t divisor = kPitInputHz / hz;
    if (divisor > 0xFFFF)
        divisor = 0xFFFF;
    if (divisor < 1)
        divisor = 1;
    kModeCommand.write<uint8_t>(kChannel0RateGenerator);
    kChannel0Data.write<uint8_t>(static_cast<uint8_t>(divisor & 0xFF));
    kChannel0Data.write<uint8_t>(static_cast<uint8_t>(divisor >> 8));
    g_divisor = divisor;
    g_hz = kPitInputHz / divisor;
    handle_irq(kTimerIrq, on_tick);
    return g_hz;
}

void set_tick_observer(TickObserver observer)
{
    g_tick_observer.store(observer, lib::MemoryOrder::Release);
}

uint64_t timer_ticks()
{
    return g_ticks.load(lib::MemoryOrder::Relaxed);
}

uint32_t timer_hz()
{
    return g_hz;
}

uint64_t timer_millihertz()
{
    return g_divisor == 0 ? 0 : static_cast<uint64_t>(kPitInputHz) * 1000 / g_divisor;
}

uint64_t uptime_ms()
{
    return g_hz == 0 ? 0 : timer_ticks() * 1000 / g_hz;
}

void sleep_ms(uint64_t ms)
{
    if (!arch::interrupts_enabled())
        PANIC("sleep_ms({}) with interrupts off would never wake", ms);
    // Round up, and count from the next tick: the call comes anywhere
    // inside a tick period, and sleeping less than asked is never right.
    uint64_t ticks = (ms * g_hz + 999) / 1000;
    uint64_t until = timer_ticks() + ticks + 1;
    while (timer_ticks() < until)
        arch::wait_for_interrupt();
}

} // namespace drivers
