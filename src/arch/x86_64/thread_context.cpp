#include "arch/thread_context.h"

#include <stddef.h>

#include "arch/x86_64/per_cpu.h"

extern "C" void switch_thread_context(uint64_t* save_stack_pointer, uint64_t load_stack_pointer);
extern "C" void thread_entry_trampoline();

namespace arch {
namespace {

// What asm/context_switch.asm pushes, lowest address first, and pops.
struct SwitchFrame {
    uint64_t r15, r14, r13, r12, rbx, rbp;
    uint64_t return_address;
};
static_assert(offsetof(SwitchFrame, r15) == 0);
static_assert(offsetof(SwitchFrame, r13) == 16, "the trampoline takes the argument from r13");
static_assert(offsetof(SwitchFrame, r12) == 24, "the trampoline calls r12");
static_assert(offsetof(SwitchFrame, rbp) == 40);
static_assert(offsetof(SwitchFrame, return_address) == 48, "ret pops it last");
static_assert(sizeof(SwitchFrame) == 7 * sizeof(uint64_t));

} // namespace

ThreadContext prepare_thread_stack(uint64_t stack_top, void (*entry)(void*), void* argument)
{
    // After the switch pops the frame, RSP is just above it; the
    // trampoline's call then needs RSP 16-byte aligned (System V), so the
    // frame ends 16 bytes below the top (the 16 spare bytes stay unused).
    uint64_t frame_address = (stack_top & ~uint64_t { 15 }) - 16 - sizeof(SwitchFrame);
    auto* frame = reinterpret_cast<SwitchFrame*>(frame_address);
    *frame = SwitchFrame {};
    frame->r12 = reinterpret_cast<uint64_t>(entry);
    frame->r13 = reinterpret_cast<uint64_t>(argument);
    frame->rbp = 0; // ends every backtrace of the thread
    frame->return_address = reinterpret_cast<uint64_t>(&thread_entry_trampoline);
    return ThreadContext { frame_address };
}

void switch_thread_context(ThreadContext& from, const ThreadContext& to)
{
    ::switch_thread_context(&from.stack_pointer, to.stack_pointer);
}

void* current_thread_pointer()
{
    void* thread;
    asm volatile("movq %%gs:%c1, %0" : "=r"(thread) : "i"(offsetof(PerCpu, current_thread)));
    return thread;
}

void set_current_thread_pointer(void* thread)
{
    this_cpu().current_thread = thread;
}

void set_current_kernel_stack(const char* name, uint64_t guard, uint64_t bottom, uint64_t top)
{
    this_cpu().stacks[0] = StackRange { name, guard, bottom, top };
}

void disable_preemption()
{
    asm volatile("incl %%gs:%c0" : : "i"(offsetof(PerCpu, preemption_disabled)) : "memory");
}

void enable_preemption()
{
    asm volatile("decl %%gs:%c0" : : "i"(offsetof(PerCpu, preemption_disabled)) : "memory");
}

bool preemption_enabled()
{
    uint32_t disabled;
    asm volatile("movl %%gs:%c1, %0" : "=r"(disabled) : "i"(offsetof(PerCpu, preemption_disabled)));
    return disabled == 0;
}

KernelStack current_kernel_stack()
{
    StackRange range;
    known_stack(0, range);
    return { range.guard, range.bottom, range.top };
}

} // namespace arch
