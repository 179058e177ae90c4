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
// Loads an IDT of limit 0 on the calling CPU: every exception after it finds
// no gate, nor does the #GP that raises, nor the #DF: the CPU resets (a
// triple fault). Only for the fault word that proves the harness explains
// such resets.
void load_empty_idt();

using InterruptHandler = void (*)(InterruptFrame& frame);

// Handlers for vectors 32..255. Exceptions (0..31) go to the exception
// reporter (exceptions.cpp) and cannot be replaced.
void set_interrupt_handler(uint8_t vector, InterruptHandler handler);

} // namespace arch
