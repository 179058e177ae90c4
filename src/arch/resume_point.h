#pragma once

// A place to come back to, for code that must abandon a computation it
// cannot unwind (the kernel test watchdog): setjmp and longjmp for the
// kernel. save_resume_point returns false when called and true when
// resume() brings control back there; the function that saved it must not
// have returned in between.
//
// And a way to abandon the interrupted code from an interrupt handler:
// redirect_interrupt_return makes the interrupt in progress return into a
// function instead of where it came from (only into kernel code that had
// interrupts on, so no lock is held there).

#include <stdint.h>

namespace arch {

struct ResumePoint {
    uint64_t registers[8]; // the callee-saved state of the x86-64 SysV ABI, stack and return address
};

[[gnu::returns_twice]] bool save_resume_point(ResumePoint* point);
[[noreturn]] void resume(ResumePoint* point);

// Called from an interrupt handler. Returns false (and does nothing) when the
// interrupted context was not kernel code with interrupts enabled.
bool redirect_interrupt_return(void (*target)());

} // namespace arch
