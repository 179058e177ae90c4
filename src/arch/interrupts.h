#pragma once

// Interrupt state as generic code sees it: enough for locks and guards,
// without naming an instruction. x86_64: src/arch/x86_64/interrupts.cpp.

namespace arch {

bool interrupts_enabled();
void enable_interrupts();
void disable_interrupts();

// True while this CPU runs an interrupt handler (an IRQ, not an exception):
// locks taken there must never be taken elsewhere with interrupts on.
bool in_interrupt_handler();

// For kernel tests: calls function(argument) from an interrupt handler on
// the calling CPU (a software interrupt to a vector kept for it) and
// returns once it has run. Not reentrant.
void run_in_interrupt_handler(void (*function)(void*), void* argument);

// Halts until the next interrupt (with interrupts on), then returns.
void wait_for_interrupt();
// Interrupts on and halt as one step (`sti; hlt`): an interrupt that comes
// between the two is taken only after the halt began (the sti shadow), so
// it ends the halt instead of being lost before it. For idle loops that
// check for work with interrupts off.
void enable_interrupts_and_wait();

} // namespace arch
