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

bool hardware_random(uint64_t& value)
{
    uint32_t eax, ebx, ecx, edx;
    asm volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
    if (!(ecx & (1u << 30)))
        return false;
    // RDRAND may fail transiently (CF clear): Intel's guidance is ten tries.
    for (int attempt = 0; attempt < 10; ++attempt) {
        uint64_t candidate;
        bool ok;
        asm volatile("rdrand %0" : "=r"(candidate), "=@ccc"(ok));
        if (ok) {
            value = candidate;
            return true;
        }
    }
    return false;
}

uint64_t read_timestamp_counter()
{
    unsigned int low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (static_cast<uint64_t>(high) << 32) | low;
}

} // namespace arch
