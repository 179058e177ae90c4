#pragma once

// The interrupt descriptor table: all 256 vectors lead to the stubs in
// asm/interrupt_stubs.asm, and from there to interrupt_dispatch.

#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"
#include "arch/x86_64/vectors.h"

namespace arch {

void init_idt();

using InterruptHandler = void (*)(InterruptFrame& frame);

// Handlers for vectors 32..255. Exceptions (0..31) go to the exception
// reporter (exceptions.cpp) and cannot be replaced.
void set_interrupt_handler(uint8_t vector, InterruptHandler handler);

} // namespace arch
