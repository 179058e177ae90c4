#include "arch/cpu.h"

namespace arch {

void halt_forever()
{
    // With interrupts off only an NMI or SMI wakes hlt; loop back if so.
    for (;;)
        asm volatile("cli; hlt" ::: "memory");
}

} // namespace arch
