#include "drivers/qemu_exit.h"

#include "arch/cpu.h"
#include "arch/x86_64/io_port.h"
#include "kernel/coverage_runtime.h"
#include "kernel/log.h"

namespace drivers {

void qemu_exit(QemuExitCode code)
{
    // Every orderly end of a boot comes here: the success and failure exits,
    // panics and fatal faults. A kernel built for coverage writes its
    // counters out first (a no-op otherwise). The screen shows the last
    // lines, a panic report's too, whether QEMU ends here or not.
    kernel::flush_log_screen();
    kernel::dump_coverage();
    arch::IoPort(kQemuExitPort).write<uint32_t>(static_cast<uint32_t>(code));
    arch::halt_forever();
}

} // namespace drivers
