#pragma once

// QEMU's debug console (-device isa-debugcon,iobase=0xe9,chardev=...):
// every byte written to port 0xe9 goes to the chardev, unframed and
// unbuffered. Without the device the writes are ignored. The kernel's
// coverage dump uses it (kernel/coverage_runtime.h), away from the serial
// log the tests read.

#include <stddef.h>
#include <stdint.h>

namespace drivers {

inline constexpr uint16_t kQemuDebugConsolePort = 0xE9;

void debug_console_write(const void* data, size_t count);

} // namespace drivers
