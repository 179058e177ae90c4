#include "drivers/pit.h"

#include "arch/x86_64/io_port.h"
#include "drivers/interrupt_controller.h"

namespace drivers {
namespace {

constexpr arch::IoPort kChannel0Data(0x40);
constexpr arch::IoPort kModeCommand(0x43);
// Mode/command register: channel 0, access low then high byte, binary
// counting; mode 2 (rate generator), or mode 0 (interrupt on terminal
// count), which waits for a count to be written and so stops the channel.
constexpr uint8_t kChannel0RateGenerator = 0x34;
constexpr uint8_t kChannel0OneShotAwaitingCount = 0x30;
constexpr uint8_t kTimerIrq = 0;

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
    set_tick_rate(static_cast<uint64_t>(kPitInputHz) * 1000 / divisor, TickSource::Pit);
    // The tick, and on the 8259 path (one CPU) also that CPU's own tick.
    handle_irq(
        kTimerIrq, +[] {
            count_tick();
            count_cpu_tick();
        });
    return timer_hz();
}

void stop_pit()
{
    kModeCommand.write<uint8_t>(kChannel0OneShotAwaitingCount);
}

} // namespace drivers
