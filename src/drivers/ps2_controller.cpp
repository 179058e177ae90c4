#include "drivers/ps2_controller.h"

#include "arch/x86_64/io_port.h"

namespace drivers::ps2 {
namespace {

constexpr arch::IoPort kData(0x60);
constexpr arch::IoPort kStatusCommand(0x64); // status on read, command on write

// Bounded waits: a machine without a controller must not hang the boot.
constexpr uint32_t kControllerPollLimit = 1000000;

bool wait_to_write()
{
    for (uint32_t i = 0; i < kControllerPollLimit; ++i) {
        if (!(kStatusCommand.read<uint8_t>() & kInputFull))
            return true;
    }
    return false;
}

} // namespace

bool read_byte(uint8_t& value)
{
    for (uint32_t i = 0; i < kControllerPollLimit; ++i) {
        if (kStatusCommand.read<uint8_t>() & kOutputFull) {
            value = kData.read<uint8_t>();
            return true;
        }
    }
    return false;
}

bool command(uint8_t byte)
{
    if (!wait_to_write())
        return false;
    kStatusCommand.write<uint8_t>(byte);
    return true;
}

bool write_data(uint8_t byte)
{
    if (!wait_to_write())
        return false;
    kData.write<uint8_t>(byte);
    return true;
}

bool write_port2(uint8_t byte)
{
    return command(kWriteToPort2) && write_data(byte);
}

uint8_t status()
{
    return kStatusCommand.read<uint8_t>();
}

uint8_t read_data()
{
    return kData.read<uint8_t>();
}

} // namespace drivers::ps2
