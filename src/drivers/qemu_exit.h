#pragma once

// Leaving QEMU with a status: QEMU's isa-debug-exit device (added with
// -device isa-debug-exit,iobase=0xf4,iosize=0x04) ends the emulator with
// exit status (value << 1) | 1 when the guest writes value to its port.
// Tests tell success (33) from failure (35) from a reset (0 under
// -no-reboot). Without the device the write is ignored and the CPU halts.

#include <stdint.h>

namespace drivers {

enum class QemuExitCode : uint32_t {
    Success = 0x10, // QEMU exits with 33
    Failure = 0x11, // QEMU exits with 35
};

inline constexpr uint16_t kQemuExitPort = 0xF4;

[[noreturn]] void qemu_exit(QemuExitCode code);

} // namespace drivers
