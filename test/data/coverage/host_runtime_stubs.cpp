// What src/kernel/coverage_runtime.cpp needs of the kernel, on the host
// (test_coverage_format.py): the debug console is standard output, and
// there are no other CPUs to stop.

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "arch/cpu.h"
#include "arch/cpu_stop.h"
#include "arch/interrupts.h"
#include "drivers/qemu_debug_console.h"
#include "kernel/boot_profile.h"

namespace drivers {
void debug_console_write(const void* data, size_t count)
{
    fwrite(data, 1, count, stdout);
}
} // namespace drivers

namespace arch {
void disable_interrupts() { }
void halt_forever()
{
    exit(3);
}
StoppedCpus stop_other_cpus(uint64_t)
{
    return { 0, 0 };
}
} // namespace arch

namespace kernel {
uint64_t tsc_cycles_per_ms()
{
    return 0;
}
} // namespace kernel
