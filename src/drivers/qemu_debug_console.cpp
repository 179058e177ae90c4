#include "drivers/qemu_debug_console.h"

#include "arch/x86_64/io_port.h"

namespace drivers {

void debug_console_write(const void* data, size_t count)
{
    arch::IoPort(kQemuDebugConsolePort).write_bytes(data, count);
}

} // namespace drivers
