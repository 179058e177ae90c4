#include "drivers/qemu_exit.h"

#include "arch/cpu.h"
#include "arch/x86_64/io_port.h"

namespace drivers {

void qemu_exit(QemuExitCode code)
{
    arch::IoPort(kQemuExitPort).write<uint32_t>(static_cast<uint32_t>(code));
    arch::halt_forever();
}

} // namespace drivers
