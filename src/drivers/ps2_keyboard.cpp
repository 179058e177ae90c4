#include "drivers/ps2_keyboard.h"

#include <stdint.h>

#include "drivers/interrupt_controller.h"
#include "drivers/pit.h"
#include "drivers/ps2_controller.h"
#include "drivers/scancode_set1.h"
#include "kernel/log.h"
#include "lib/rate_limit.h"
#include "lib/ring_buffer.h"
#include "sync/interrupt_guard.h"

namespace drivers {
namespace {

using kernel::log;
using kernel::LogTag;

constexpr uint8_t kKeyboardReset = 0xFF;
constexpr uint8_t kKeyboardAcknowledge = ps2::kAcknowledge;
constexpr uint8_t kKeyboardSelfTestPassed = 0xAA;
constexpr uint8_t kKeyboardIrq = 1;

ScancodeSet1Decoder g_scancode_decoder; // fed outside the interrupt handler only

// Scan codes as the controller delivered them. IRQ 1 only queues; they are
// decoded and logged outside the interrupt (see serial_input.cpp for why).
lib::RingBuffer<64> g_scancodes;
// Only the reader's side touches these (never the interrupt handler).
size_t g_scancodes_dropped_reported = 0;
constexpr uint32_t kLoggedKeysPerSecond = 32;
lib::RateLimit g_key_log_limit(kLoggedKeysPerSecond, 1000);

void log_key(const KeyEvent& event)
{
    char c = event.character;
    if (c >= 0x20 && c < 0x7F)
        log(LogTag::Kbd, "pressed {} (scancode {}{:#04x}) -> '{}'", event.name, event.extended ? "0xe0 " : "",
            event.scancode, c);
    else if (c != 0)
        log(LogTag::Kbd, "pressed {} (scancode {}{:#04x}) -> {:#04x}", event.name,
            event.extended ? "0xe0 " : "", event.scancode, static_cast<uint8_t>(c));
    else
        log(LogTag::Kbd, "pressed {} (scancode {}{:#04x})", event.name, event.extended ? "0xe0 " : "",
            event.scancode);
}

void on_keyboard_irq()
{
    // One byte per interrupt; the status check skips a spurious IRQ 1, and
    // a byte from port 2 is the mouse's (its IRQ 12 reads it).
    uint8_t state = ps2::status();
    if ((state & ps2::kOutputFull) && !(state & ps2::kAuxiliaryData))
        g_scancodes.push(ps2::read_data());
}

// The next complete key event from the queue, decoded here, outside the
// interrupt handler.
bool next_key_event(KeyEvent& event)
{
    return ps2::next_decoded_event(g_scancodes, g_scancode_decoder, event);
}

bool fail_keyboard_setup(const char* what, uint8_t value)
{
    log(LogTag::Kbd, "warning: PS/2 {} (got {:#04x}); no keyboard", what, value);
    return false;
}

} // namespace

bool init_keyboard()
{
    uint8_t value = 0;
    // Quiet both ports and drop whatever the firmware left in the buffer.
    if (!ps2::command(ps2::kDisablePort1) || !ps2::command(ps2::kDisablePort2))
        return fail_keyboard_setup("controller does not take commands", 0);
    for (int i = 0; i < 16 && (ps2::status() & ps2::kOutputFull); ++i)
        ps2::read_data();

    if (!ps2::command(ps2::kReadConfig) || !ps2::read_byte(value))
        return fail_keyboard_setup("controller configuration unreadable", 0);
    auto config = static_cast<uint8_t>(
        (value & ~(ps2::kConfigPort1Interrupt | ps2::kConfigPort2Interrupt)) | ps2::kConfigTranslation);
    if (!ps2::command(ps2::kWriteConfig) || !ps2::write_data(config))
        return fail_keyboard_setup("controller configuration not writable", value);

    if (!ps2::command(ps2::kSelfTest) || !ps2::read_byte(value) || value != ps2::kSelfTestPassed)
        return fail_keyboard_setup("controller self-test failed", value);
    // Some controllers reset their configuration during the self-test.
    if (!ps2::command(ps2::kWriteConfig) || !ps2::write_data(config))
        return fail_keyboard_setup("controller configuration not writable", config);
    if (!ps2::command(ps2::kTestPort1) || !ps2::read_byte(value) || value != ps2::kPortTestPassed)
        return fail_keyboard_setup("port 1 test failed", value);
    if (!ps2::command(ps2::kEnablePort1))
        return fail_keyboard_setup("port 1 cannot be enabled", 0);

    if (!ps2::write_data(kKeyboardReset) || !ps2::read_byte(value) || value != kKeyboardAcknowledge)
        return fail_keyboard_setup("keyboard did not acknowledge reset", value);
    if (!ps2::read_byte(value) || value != kKeyboardSelfTestPassed)
        return fail_keyboard_setup("keyboard self-test failed", value);

    handle_irq(kKeyboardIrq, on_keyboard_irq);
    // The configuration read earlier has port 1's clock off (we had disabled
    // the port); writing it back unchanged would switch the keyboard off again.
    config = static_cast<uint8_t>((config & ~ps2::kConfigPort1ClockOff) | ps2::kConfigPort1Interrupt);
    if (!ps2::command(ps2::kWriteConfig) || !ps2::write_data(config))
        return fail_keyboard_setup("controller configuration not writable", config);
    log(LogTag::Kbd,
        "PS/2 controller and port 1 self-tests passed, keyboard reset, scan code set 1 "
        "(translated), IRQ 1");
    return true;
}

bool read_keyboard_input(char& character)
{
    KeyEvent event {};
    while (next_key_event(event)) {
        if (event.pressed && event.character != 0) {
            character = event.character;
            return true;
        }
    }
    return false;
}

void log_keyboard_input()
{
    uint64_t now = uptime_ms();
    if (uint64_t held_back = g_key_log_limit.take_held_back(now))
        log(LogTag::Kbd, "{} more key presses, not logged one by one (over {} a second)", held_back,
            g_key_log_limit.limit());
    KeyEvent event {};
    while (next_key_event(event)) {
        if (event.pressed && g_key_log_limit.allow(now))
            log_key(event);
    }
    size_t dropped = 0;
    {
        sync::InterruptGuard guard;
        dropped = g_scancodes.dropped() - g_scancodes_dropped_reported;
        g_scancodes_dropped_reported += dropped;
    }
    if (dropped != 0)
        log(LogTag::Kbd, "dropped {} scan codes (queue full)", dropped);
}

void reset_through_keyboard_controller()
{
    ps2::command(ps2::kPulseResetLine);
}

} // namespace drivers
