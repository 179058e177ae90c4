#pragma once

// The error codes exceptions push, decoded by name. Pure: host-tested
// (test/host/exception_error_codes_test.cpp).

#include <stdint.h>

#include "arch/x86_64/register_bits.h"

namespace arch {

// #PF, Intel SDM Vol. 3A 4.7, Figure 4-12.
struct PageFaultError : RegisterBits<PageFaultError> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(present, 0) // 0: the page was not present; 1: a protection violation
    REGISTER_BIT(write, 1) // 0: a read
    REGISTER_BIT(user, 2) // 0: a supervisor-mode access
    REGISTER_BIT(reserved_bit, 3) // a reserved bit was set in a paging-structure entry
    REGISTER_BIT(instruction_fetch, 4)
    REGISTER_BIT(protection_key, 5)
    REGISTER_BIT(shadow_stack, 6)
};

// #TS, #NP, #SS and #GP with a selector, Intel SDM Vol. 3A 6.13, Figure 6-7.
struct SelectorErrorCode : RegisterBits<SelectorErrorCode> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(external, 0) // an event external to the program caused it
    REGISTER_BIT(idt, 1) // the index names an IDT gate
    REGISTER_BIT(local, 2) // with idt clear: the LDT, not the GDT
    REGISTER_FIELD(index, 3, 13)
};

} // namespace arch
