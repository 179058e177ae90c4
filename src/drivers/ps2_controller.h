#pragma once

// The 8042 PS/2 controller (IBM PC/AT technical reference; OSDev "8042
// PS/2 Controller"): its two ports, its commands and configuration byte,
// and bounded waits on its status, so a machine without one never hangs the
// boot. The keyboard (port 1, ps2_keyboard.cpp) and the mouse (port 2,
// ps2_mouse.cpp) talk to their devices through it.

#include <stdint.h>

#include "sync/interrupt_guard.h"

namespace drivers::ps2 {

// Status register bits.
inline constexpr uint8_t kOutputFull = 0x01; // a byte waits at the data port
inline constexpr uint8_t kInputFull = 0x02; // the controller has not taken the last write
inline constexpr uint8_t kAuxiliaryData = 0x20; // the waiting byte is from port 2

// Controller commands.
inline constexpr uint8_t kReadConfig = 0x20;
inline constexpr uint8_t kWriteConfig = 0x60;
inline constexpr uint8_t kDisablePort2 = 0xA7;
inline constexpr uint8_t kEnablePort2 = 0xA8;
inline constexpr uint8_t kTestPort2 = 0xA9;
inline constexpr uint8_t kSelfTest = 0xAA;
inline constexpr uint8_t kTestPort1 = 0xAB;
inline constexpr uint8_t kDisablePort1 = 0xAD;
inline constexpr uint8_t kEnablePort1 = 0xAE;
inline constexpr uint8_t kWriteToPort2 = 0xD4; // the next data byte goes to the port 2 device
inline constexpr uint8_t kPulseResetLine = 0xFE;

// Configuration byte bits.
inline constexpr uint8_t kConfigPort1Interrupt = 0x01;
inline constexpr uint8_t kConfigPort2Interrupt = 0x02;
inline constexpr uint8_t kConfigPort1ClockOff = 0x10; // set by kDisablePort1, cleared by kEnablePort1
inline constexpr uint8_t kConfigPort2ClockOff = 0x20;
inline constexpr uint8_t kConfigTranslation = 0x40; // set 2 from the keyboard arrives as set 1

inline constexpr uint8_t kSelfTestPassed = 0x55;
inline constexpr uint8_t kPortTestPassed = 0x00;
// What a device answers to a command byte.
inline constexpr uint8_t kAcknowledge = 0xFA;

// Each waits a bounded number of status reads; false when the controller
// never became ready.
bool command(uint8_t byte);
bool write_data(uint8_t byte);
bool read_byte(uint8_t& value);
// A byte for the port 2 device (kWriteToPort2 first).
bool write_port2(uint8_t byte);

// The status register and the data port, for interrupt handlers.
uint8_t status();
uint8_t read_data();

// The next complete event from the bytes a device's IRQ handler queued:
// each byte taken with interrupts off (the handler is the queue's other
// end), decoded outside them. False when the queue runs dry first.
template <typename ByteQueue, typename Decoder, typename Event>
bool next_decoded_event(ByteQueue& bytes, Decoder& decoder, Event& event)
{
    for (;;) {
        uint8_t byte = 0;
        {
            sync::InterruptGuard guard;
            if (!bytes.pop(byte))
                return false;
        }
        if (decoder.feed(byte, event))
            return true;
    }
}

} // namespace drivers::ps2
