#include "arch/interrupts.h"

#include "arch/x86_64/rflags.h"

namespace arch {

bool interrupts_enabled()
{
    return Rflags::read().interrupt_enable();
}

void enable_interrupts()
{
    asm volatile("sti" ::: "memory");
}

void disable_interrupts()
{
    // "memory": no load or store may move across the point where the
    // critical section starts.
    asm volatile("cli" ::: "memory");
}

void wait_for_interrupt()
{
    asm volatile("hlt" ::: "memory");
}

void enable_interrupts_and_wait()
{
    asm volatile("sti; hlt" ::: "memory");
}

} // namespace arch
