#include "arch/interrupts.h"

#include "arch/x86_64/idt.h"
#include "arch/x86_64/rflags.h"

namespace arch {
namespace {

// What run_in_interrupt_handler's handler calls.
void (*g_test_function)(void*) = nullptr;
void* g_test_argument = nullptr;

void run_test_function(InterruptFrame&)
{
    g_test_function(g_test_argument);
}

} // namespace

bool interrupts_enabled()
{
    return Rflags::read().interrupt_enable();
}

void enable_interrupts()
{
    asm volatile("sti" ::: "memory");
}

void disable_interrupts()
{
    // "memory": no load or store may move across the point where the
    // critical section starts.
    asm volatile("cli" ::: "memory");
}

void wait_for_interrupt()
{
    asm volatile("hlt" ::: "memory");
}

void enable_interrupts_and_wait()
{
    asm volatile("sti; hlt" ::: "memory");
}

void run_in_interrupt_handler(void (*function)(void*), void* argument)
{
    g_test_function = function;
    g_test_argument = argument;
    set_interrupt_handler(kInterruptTestVector, run_test_function);
    asm volatile("int %0" : : "i"(kInterruptTestVector) : "memory");
    set_interrupt_handler(kInterruptTestVector, nullptr);
}

} // namespace arch
