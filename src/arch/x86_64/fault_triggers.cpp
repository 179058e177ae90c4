#include "arch/fault_triggers.h"
#include "arch/interrupts.h"

#include "arch/page_size.h"
#include "arch/paging.h"
#include "arch/x86_64/idt.h"
#include "kernel/fault_kind.h"
#include "kernel/symbols.h"

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
    // The report symbolizes the faulting RIP through the kernel's symbol
    // table; with the page its lookups read first gone, the report itself
    // faults (#PF), as a report with a real bug in it would.
    auto probe = reinterpret_cast<uint64_t>(kernel::kernel_symbols().first_probe());
    if (probe != 0)
        unmap_kernel_page(probe & ~(kPageSize - 1));
    trigger_invalid_opcode();
}

[[gnu::noinline]] void trigger_triple_fault()
{
    // Interrupts off first: a tick between the two would be the first to
    // find no gate, and the chain would start with it instead of the #UD.
    disable_interrupts();
    load_empty_idt();
    trigger_invalid_opcode();
}

[[gnu::noinline]] void trigger_stack_overflow()
{
    recurse_one_page_deeper(0);
}

// The CPU's exceptions, each ending in the exception report and a panic
// (the breakpoint: a report, and the boot carries on).
FAULT_KIND(divide_by_zero, 20, "divide-by-zero", "#DE", EndsTheBoot, trigger_divide_by_zero);
FAULT_KIND(invalid_opcode, 30, "invalid-opcode", "#UD", EndsTheBoot, trigger_invalid_opcode);
FAULT_KIND(
    breakpoint, 40, "breakpoint", "#BP: reported, and the boot carries on", Survivable, trigger_breakpoint);
FAULT_KIND(general_protection, 50, "general-protection", "#GP: a non-canonical address", EndsTheBoot,
    trigger_general_protection);
FAULT_KIND(unmapped_read, 60, "unmapped-read", "#PF: a read of an address that was never mapped", EndsTheBoot,
    trigger_unmapped_read);
FAULT_KIND(
    null_pointer, 70, "null-pointer", "#PF: a read of address 0", EndsTheBoot, trigger_null_pointer_read);
FAULT_KIND(read_only_write, 80, "read-only-write", "#PF: a write to the kernel's rodata", EndsTheBoot,
    trigger_read_only_write);
FAULT_KIND(no_execute_fetch, 90, "no-execute-fetch", "#PF: an instruction fetch from .data", EndsTheBoot,
    trigger_no_execute_fetch);
FAULT_KIND(stack_overflow, 100, "stack-overflow",
    "#DF on its own stack, after the kernel stack hits its guard page", EndsTheBoot, trigger_stack_overflow);
FAULT_KIND(nested, 110, "nested", "a #UD whose report faults: the nested-exception panic", EndsTheBoot,
    trigger_nested_fault);
FAULT_KIND(corrupt_frame_pointer, 120, "corrupt-frame-pointer",
    "#UD with RBP pointing nowhere: the report's backtrace stops, no second fault", EndsTheBoot,
    trigger_invalid_opcode_with_corrupt_frame_pointer);
FAULT_KIND(triple_fault, 125, "triple-fault",
    "#UD with an empty IDT: no gate for it, its #GP or the #DF, so the CPU resets; the harness explains the "
    "chain",
    EndsTheBoot, trigger_triple_fault);

} // namespace arch
