#include "arch/fault_triggers.h"

#include "arch/page_size.h"
#include "arch/x86_64/exceptions.h"

namespace arch {
namespace {

// In .rodata, so the page is mapped read-only. Not volatile: GCC places
// const volatile objects in .data. The write below is in assembly, so the
// compiler cannot assume the value.
[[gnu::used]] const uint64_t g_read_only_word = 0x5241594F53;

// In .data, so the page is mapped no-execute: a single RET instruction.
[[gnu::used]] volatile uint8_t g_code_in_data[16] = { 0xC3 };

} // namespace

[[gnu::noinline]] void trigger_divide_by_zero()
{
    // In assembly: a C division by zero is undefined behaviour the compiler
    // may remove; DIV with a zero divisor always raises #DE.
    asm volatile("xorl %%ecx, %%ecx\n"
                 "movl $1, %%eax\n"
                 "xorl %%edx, %%edx\n"
                 "divl %%ecx\n"
                 :
                 :
                 : "eax", "ecx", "edx");
}

[[gnu::noinline]] void trigger_invalid_opcode()
{
    asm volatile("ud2");
}

[[gnu::noinline]] void trigger_invalid_opcode_with_corrupt_frame_pointer()
{
    // RBP saved and restored around it: the #UD never returns, but the
    // compiler must still see a well-formed function.
    asm volatile("push %%rbp\n"
                 "movq %0, %%rbp\n"
                 "ud2\n"
                 "pop %%rbp\n"
                 :
                 : "r"(kUnmappedAddress + 0x10)
                 : "memory");
}

[[gnu::noinline]] void trigger_breakpoint()
{
    asm volatile("int3");
}

[[gnu::noinline]] void trigger_general_protection()
{
    uint64_t value;
    asm volatile("movq (%1), %0" : "=r"(value) : "r"(kNonCanonicalAddress) : "memory");
}

[[gnu::noinline]] void trigger_unmapped_read()
{
    uint64_t value;
    asm volatile("movq (%1), %0" : "=r"(value) : "r"(kUnmappedAddress) : "memory");
}

[[gnu::noinline]] void trigger_null_pointer_read()
{
    uint64_t value;
    asm volatile("movq (%1), %0" : "=r"(value) : "r"(uint64_t(0)) : "memory");
}

[[gnu::noinline]] void trigger_read_only_write()
{
    asm volatile("movq $1, (%0)" : : "r"(&g_read_only_word) : "memory");
}

[[gnu::noinline]] void trigger_no_execute_fetch()
{
    auto* function = reinterpret_cast<void (*)()>(const_cast<uint8_t*>(g_code_in_data));
    function();
}

namespace {

// Far more calls than the stack has pages; volatile, so the compiler cannot
// see the bound and treat the recursion as endless (or as never reached).
volatile uint64_t g_recursion_limit = 1u << 20;

[[gnu::noinline]] uint64_t recurse_one_page_deeper(uint64_t depth)
{
    // A page of stack per call; the volatile buffer keeps every frame real.
    volatile uint8_t frame[kPageSize];
    frame[0] = static_cast<uint8_t>(depth);
    if (depth >= g_recursion_limit)
        return frame[0];
    return recurse_one_page_deeper(depth + 1) + frame[0];
}

} // namespace

[[gnu::noinline]] void trigger_nested_fault()
{
    fault_during_next_report();
    trigger_invalid_opcode();
}

[[gnu::noinline]] void trigger_stack_overflow()
{
    recurse_one_page_deeper(0);
}

} // namespace arch
