#pragma once

// RFLAGS with named bits (Intel SDM Vol. 1 3.4.3, Figure 3-8).

#include <stdint.h>

#include "arch/x86_64/register_bits.h"

namespace arch {

struct Rflags : RegisterBits<Rflags> {
    using RegisterBits::RegisterBits;

    static Rflags read()
    {
        uint64_t raw;
        asm volatile("pushfq; popq %0" : "=r"(raw));
        return Rflags(raw);
    }

    REGISTER_BIT(carry, 0)
    REGISTER_BIT(zero, 6)
    REGISTER_BIT(trap, 8)
    REGISTER_BIT(interrupt_enable, 9) // IF: maskable interrupts are delivered
    REGISTER_BIT(direction, 10)
    REGISTER_BIT(alignment_check, 18) // AC: with CR4.SMAP, user pages may be accessed
};

static_assert(Rflags().set_interrupt_enable(true).value() == 1ull << 9);

} // namespace arch
