#include "arch/cpu.h"

namespace arch {

void halt_forever()
{
    // With interrupts off only an NMI or SMI wakes hlt; loop back if so.
    for (;;)
        asm volatile("cli; hlt" ::: "memory");
}

void cpu_relax()
{
    asm volatile("pause");
}

unsigned long long read_timestamp_counter()
{
    unsigned int low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (static_cast<unsigned long long>(high) << 32) | low;
}

} // namespace arch
