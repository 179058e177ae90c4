#include "arch/interrupts.h"

#include <stdint.h>

namespace arch {

namespace {
constexpr uint64_t kRflagsInterruptEnable = 1u << 9; // RFLAGS.IF, Intel SDM Vol. 1 3.4.3
}

bool interrupts_enabled()
{
    uint64_t flags;
    asm volatile("pushfq; popq %0" : "=r"(flags));
    return (flags & kRflagsInterruptEnable) != 0;
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

} // namespace arch
