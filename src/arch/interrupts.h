#pragma once

// Interrupt state as generic code sees it: enough for locks and guards,
// without naming an instruction. x86_64: src/arch/x86_64/interrupts.cpp.

namespace arch {

bool interrupts_enabled();
void enable_interrupts();
void disable_interrupts();

// Halts until the next interrupt (with interrupts on), then returns.
void wait_for_interrupt();

} // namespace arch
