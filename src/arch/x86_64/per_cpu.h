#pragma once

// Per-CPU state, reached through the GS base (IA32_GS_BASE): each CPU's
// block starts with a pointer to itself, so this_cpu() is one load from
// %gs:0 and needs no lock and no table lookup.
//
// Owner: the "percpu" work of issue 13. The SMP bring-up codes against
// these names; keep them. Fields may be added.
//
// The boot CPU's block, GDT, TSS and stacks are static (the stacks in the
// image, above their guard pages). An application processor's block, GDT
// and TSS come from the heap, its stacks from frames mapped in the CPU
// stack region (src/mm/cpu_stack_region.h).

#include <stddef.h>
#include <stdint.h>

#include "arch/ap_startup.h" // prepare_application_processor
#include "arch/cpu.h" // cpu_count_online, current_cpu_index, kMaxCpus
#include "arch/x86_64/gdt.h"

namespace arch {

struct InterruptFrame;

struct PerCpu {
    PerCpu* self; // must stay first: this_cpu() reads %gs:0
    unsigned index; // 0 for the boot CPU, then in bring-up order
    uint32_t apic_id;
    uint64_t kernel_stack_top; // the stack this CPU entered the kernel on
    uint64_t (*gdt)[kGdtEntries]; // the TSS descriptor among them
    TaskStateSegment* tss;
    // The kernel stack, then the IST stacks (IST1..IST3), with their guard
    // pages: what known_stack() reports on this CPU.
    StackRange stacks[kKnownStackCount];
    // The interrupt being handled (for redirect_interrupt_return) and the
    // redirect asked for during it; interrupts are off while either is set.
    InterruptFrame* current_frame;
    void (*redirect)();
    // Exceptions being handled right now, and the outermost one's vector: a
    // second one while the first is reported means the report faulted.
    unsigned exception_depth;
    uint64_t outer_exception_vector;
    // TLB shootdowns this CPU asked others for, and answered (tlb_shootdown.h).
    uint64_t tlb_shootdowns_sent;
    uint64_t tlb_shootdowns_received;
    // The thread running here (arch/thread_context.h); read in one
    // instruction through GS.
    void* current_thread;
    // Sections that must not be preempted though interrupts are on (a
    // NoIrqSpinlock held), counted so they nest; changed in one instruction
    // through GS (arch/thread_context.h).
    uint32_t preemption_disabled;
};

// The calling CPU's block. Valid from init_descriptor_tables() on.
PerCpu& this_cpu();

// Boot CPU, in init_descriptor_tables() once its GDT is loaded: fills its
// block (APIC ID from CPUID) and points GS base at it.
void init_boot_cpu();

// prepare_application_processor and release_application_processor: the
// bring-up calls them, so they are declared with it (arch/ap_startup.h).

// The block of the online CPU with that index; nullptr for one not online.
PerCpu* cpu_by_index(unsigned index);

// On the AP itself, first thing in long mode on its own stack: loads its
// GDT, TSS and IDT and sets GS base to its block.
void enter_application_processor(PerCpu& cpu);

// On the boot CPU, once the AP has answered in time: from now on it counts
// as online (cpu_count_online, cpu_by_index), so cross-CPU calls and TLB
// shootdowns wait for it. Not the AP's own doing: an AP that answers after
// the boot CPU gave up on it is reset by INIT and must never have counted.
void mark_application_processor_online(PerCpu& cpu);

} // namespace arch
