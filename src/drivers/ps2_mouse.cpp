#include "drivers/ps2_mouse.h"

#include <stdint.h>

#include "drivers/interrupt_controller.h"
#include "drivers/kernel_tick.h"
#include "drivers/ps2_controller.h"
#include "drivers/ps2_mouse_packets.h"
#include "kernel/log.h"
#include "lib/rate_limit.h"
#include "lib/ring_buffer.h"
#include "sync/interrupt_guard.h"

namespace drivers {
namespace {

using kernel::log;
using kernel::LogTag;

// Mouse commands (IBM PS/2 mouse technical reference).
constexpr uint8_t kGetId = 0xF2;
constexpr uint8_t kSetSampleRate = 0xF3;
constexpr uint8_t kEnableReporting = 0xF4;
constexpr uint8_t kReset = 0xFF;
constexpr uint8_t kMouseSelfTestPassed = 0xAA;
// IDs: a standard mouse, and one in IntelliMouse mode (a wheel, 4-byte packets).
constexpr uint8_t kIntelliMouseId = 3;
// The sample-rate knock that asks for IntelliMouse mode.
constexpr uint8_t kIntelliMouseKnock[] = { 200, 100, 80 };
constexpr uint8_t kMouseIrq = 12;

// Bytes as port 2 delivered them. IRQ 12 only queues; they are decoded and
// logged outside the interrupt (as the keyboard's).
lib::RingBuffer<256> g_bytes;
MousePacketDecoder g_packet_decoder; // replaced once the ID says the packet size
// Only the reader's side touches these (never the interrupt handler).
size_t g_dropped_reported = 0;
uint64_t g_sync_reported = 0;
bool g_left = false;
bool g_right = false;
bool g_middle = false;
constexpr uint32_t kLoggedPacketsPerSecond = 32;
lib::RateLimit g_log_limit(kLoggedPacketsPerSecond, 1000);

bool fail_mouse_setup(const char* what, uint8_t value)
{
    log(LogTag::Mouse, "warning: PS/2 {} (got {:#04x}); no mouse", what, value);
    return false;
}

// A command byte (or a command's argument) to the mouse, and its acknowledge.
bool send(uint8_t byte, uint8_t& answer)
{
    answer = 0;
    return ps2::write_port2(byte) && ps2::read_byte(answer) && answer == ps2::kAcknowledge;
}

void on_mouse_irq()
{
    // One byte per interrupt; only a byte from port 2 is the mouse's.
    uint8_t state = ps2::status();
    if ((state & ps2::kOutputFull) && (state & ps2::kAuxiliaryData))
        g_bytes.push(ps2::read_data());
}

// Button states follow every packet, logged or not, so a change is told
// against the state before it.
void log_button(const char* name, bool& was, bool now, bool logged)
{
    if (was != now && logged)
        log(LogTag::Mouse, "{} button {}", name, now ? "pressed" : "released");
    was = now;
}

void log_event(const MouseEvent& event, bool logged)
{
    if (logged && event.overflow)
        log(LogTag::Mouse, "packet overflowed: its movement is dropped");
    else if (logged && (event.dx != 0 || event.dy != 0))
        log(LogTag::Mouse, "moved x {} y {}", event.dx, event.dy);
    log_button("left", g_left, event.left, logged);
    log_button("right", g_right, event.right, logged);
    log_button("middle", g_middle, event.middle, logged);
    if (logged && event.wheel != 0)
        log(LogTag::Mouse, "wheel {} {}", event.wheel < 0 ? "up" : "down",
            event.wheel < 0 ? -event.wheel : event.wheel);
}

bool next_event(MouseEvent& event)
{
    return ps2::next_decoded_event(g_bytes, g_packet_decoder, event);
}

} // namespace

bool init_mouse()
{
    uint8_t value = 0;
    if (!ps2::command(ps2::kTestPort2) || !ps2::read_byte(value) || value != ps2::kPortTestPassed)
        return fail_mouse_setup("port 2 test failed", value);
    if (!ps2::command(ps2::kEnablePort2))
        return fail_mouse_setup("port 2 cannot be enabled", 0);
    if (!send(kReset, value))
        return fail_mouse_setup("mouse did not acknowledge reset", value);
    if (!ps2::read_byte(value) || value != kMouseSelfTestPassed)
        return fail_mouse_setup("mouse self-test failed", value);
    uint8_t reset_id = 0;
    if (!ps2::read_byte(reset_id))
        return fail_mouse_setup("mouse sent no ID after its reset", 0);

    for (uint8_t rate : kIntelliMouseKnock) {
        if (!send(kSetSampleRate, value) || !send(rate, value))
            return fail_mouse_setup("mouse refused a sample rate", value);
    }
    uint8_t id = 0;
    if (!send(kGetId, value) || !ps2::read_byte(id))
        return fail_mouse_setup("mouse did not give its ID", value);
    g_packet_decoder = MousePacketDecoder(id == kIntelliMouseId ? 4 : 3);
    if (!send(kEnableReporting, value))
        return fail_mouse_setup("mouse did not acknowledge data reporting", value);

    handle_irq(kMouseIrq, on_mouse_irq);
    uint8_t config = 0;
    if (!ps2::command(ps2::kReadConfig) || !ps2::read_byte(config))
        return fail_mouse_setup("controller configuration unreadable", 0);
    config = static_cast<uint8_t>((config & ~ps2::kConfigPort2ClockOff) | ps2::kConfigPort2Interrupt);
    if (!ps2::command(ps2::kWriteConfig) || !ps2::write_data(config))
        return fail_mouse_setup("controller configuration not writable", config);
    if (id == kIntelliMouseId)
        log(LogTag::Mouse,
            "PS/2 port 2 test passed, mouse reset (ID {}), IntelliMouse wheel on (ID 3, 4-byte "
            "packets), IRQ 12",
            reset_id);
    else
        log(LogTag::Mouse,
            "PS/2 port 2 test passed, mouse reset (ID {}), no wheel (ID {}, 3-byte packets), IRQ 12",
            reset_id, id);
    return true;
}

void log_mouse_input()
{
    uint64_t now = uptime_ms();
    if (uint64_t held_back = g_log_limit.take_held_back(now))
        log(LogTag::Mouse, "{} more packets, not logged one by one (over {} a second)", held_back,
            g_log_limit.limit());
    MouseEvent event {};
    while (next_event(event))
        log_event(event, g_log_limit.allow(now));
    size_t dropped = 0;
    {
        sync::InterruptGuard guard;
        dropped = g_bytes.dropped() - g_dropped_reported;
        g_dropped_reported += dropped;
    }
    if (dropped != 0)
        log(LogTag::Mouse, "dropped {} bytes (queue full)", dropped);
    if (uint64_t lost = g_packet_decoder.bytes_dropped_for_sync() - g_sync_reported; lost != 0) {
        g_sync_reported += lost;
        log(LogTag::Mouse, "out of step: {} bytes dropped to find a packet's first byte", lost);
    }
}

} // namespace drivers
