#pragma once

// Per-CPU state, reached through the GS base (IA32_GS_BASE): each CPU's
// block starts with a pointer to itself, so this_cpu() is one load from
// %gs:0 and needs no lock and no table lookup.
//
// Owner: the "percpu" work of issue 13. The SMP bring-up codes against
// these names; keep them. Fields may be added.

#include <stddef.h>
#include <stdint.h>

namespace arch {

struct InterruptFrame;

inline constexpr unsigned kMaxCpus = 64;

struct PerCpu {
    PerCpu* self; // must stay first: this_cpu() reads %gs:0
    unsigned index; // 0 for the boot CPU, then in bring-up order
    uint32_t apic_id;
    uint64_t kernel_stack_top; // the stack this CPU entered the kernel on
    // ... GDT, TSS, IST stacks, the interrupt being handled, etc. (percpu work)
};

// The calling CPU's block. Valid from init_descriptor_tables() on.
PerCpu& this_cpu();
unsigned cpu_count_online();

// Boot CPU, on the way to an AP start: allocates the AP's block, its
// kernel stack and IST stacks (each above an unmapped guard page), and its
// GDT and TSS. nullptr when memory runs out (the AP is then left out).
PerCpu* prepare_application_processor(unsigned index, uint32_t apic_id);

// On the AP itself, first thing in long mode on its own stack: loads its
// GDT, TSS and IDT, and sets GS base to its block.
void enter_application_processor(PerCpu& cpu);

} // namespace arch
