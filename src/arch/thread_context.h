#pragma once

// What the scheduler (src/kernel/scheduler.cpp) asks of the architecture to
// run threads: a new thread's first stack, the switch between two threads,
// and the per-CPU pointer to the running thread. A thread's registers are
// saved on its own stack; all the scheduler keeps is the stack pointer.
// x86_64: asm/context_switch.asm and src/arch/x86_64/thread_context.cpp.

#include <stdint.h>

namespace arch {

// The stack pointer of a thread that is not running: its saved registers
// are on the stack at that address.
struct ThreadContext {
    uint64_t stack_pointer = 0;
};

// Lays out a new thread's stack below stack_top (16-byte aligned) so that
// the first switch to it calls entry(argument) on that stack, with
// interrupts as the switching CPU left them (off). entry must not return.
ThreadContext prepare_thread_stack(uint64_t stack_top, void (*entry)(void*), void* argument);

// Saves the running thread's callee-saved registers and stack pointer into
// from, and continues the thread saved in to. Returns when some CPU
// switches back to from. Interrupts off.
void switch_thread_context(ThreadContext& from, const ThreadContext& to);

// The thread running on the calling CPU (nullptr before the scheduler
// took this CPU over). One instruction: a thread preempted and moved to
// another CPU between two instructions still reads its own pointer.
void* current_thread_pointer();
void set_current_thread_pointer(void* thread);

// Preemption off and on again, for a section that runs with interrupts on
// but must stay on its CPU and keep it (a NoIrqSpinlock held: per-CPU
// records of it, and other CPUs spinning for it). Nests. Each is one
// instruction, so a preemption can never fall between finding the CPU's
// count and changing it.
void disable_preemption();
void enable_preemption();
bool preemption_enabled();

// The running thread's kernel stack, for the fault report's guard-page
// check (a stack overflow names the thread). name must outlive the thread's
// time on the CPU.
void set_current_kernel_stack(const char* name, uint64_t guard, uint64_t bottom, uint64_t top);

// The stack the calling CPU runs its kernel code on now: for a CPU's boot
// flow, the stack it started on (which becomes a thread's).
struct KernelStack {
    uint64_t guard, bottom, top;
};
KernelStack current_kernel_stack();

} // namespace arch
