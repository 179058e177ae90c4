#pragma once

// The interrupt descriptor table: all 256 vectors lead to the stubs in
// asm/interrupt_stubs.asm, and from there to interrupt_dispatch.

#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"
#include "arch/x86_64/vectors.h"

namespace arch {

// Builds the IDT and loads it on the boot CPU.
void init_idt();
// Loads the (shared) IDT on the calling CPU: an AP, once init_idt has run.
void load_idt();

using InterruptHandler = void (*)(InterruptFrame& frame);

// Handlers for vectors 32..255. Exceptions (0..31) go to the exception
// reporter (exceptions.cpp) and cannot be replaced.
void set_interrupt_handler(uint8_t vector, InterruptHandler handler);

} // namespace arch
