#pragma once

// The kernel's GDT and TSS, replacing the trampoline's GDT. The TSS holds
// the interrupt stack table: #DF, NMI and #MC run on stacks of their own, so
// they can be reported even when the kernel stack is gone (an overflow).

#include <stddef.h>
#include <stdint.h>

namespace arch {

// Segment selectors: index * 8 | table indicator | requested privilege.
enum class Selector : uint16_t {
    KernelCode = 0x08,
    KernelData = 0x10,
    UserData = 0x18 | 3,
    UserCode = 0x20 | 3,
    Tss = 0x28,
};

// IST slots (1-based in the IDT gate; 0 means "no IST").
enum class InterruptStack : uint8_t {
    None = 0,
    DoubleFault = 1,
    Nmi = 2,
    MachineCheck = 3,
};

inline constexpr unsigned kInterruptStackCount = 3;
// The kernel stack and the IST stacks.
inline constexpr unsigned kKnownStackCount = 1 + kInterruptStackCount;
inline constexpr size_t kInterruptStackSize = size_t { 16 } * 1024;
// Null, kernel code and data, user data and code, and the TSS (two slots).
inline constexpr unsigned kGdtEntries = 7;

// Intel SDM Vol. 3A 8.7, Figure 8-11: the 64-bit TSS.
struct [[gnu::packed]] TaskStateSegment {
    uint32_t reserved0;
    uint64_t rsp[3]; // stacks for privilege changes to rings 0-2
    uint64_t reserved1;
    uint64_t ist[7]; // interrupt stack table, IST1..IST7
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t io_map_base;
};
static_assert(sizeof(TaskStateSegment) == 104);
static_assert(offsetof(TaskStateSegment, ist) == 36);

struct StackRange {
    const char* name;
    uint64_t guard; // the unmapped page just below the stack
    uint64_t bottom; // lowest usable address
    uint64_t top; // one past the highest
};

// The boot CPU's GDT and TSS, loaded.
void init_gdt();

// Fills a CPU's TSS (IST1..IST3 at interrupt_stack_tops) and its GDT (the
// TSS descriptor pointing at tss). For an application processor's tables.
void build_gdt(uint64_t (&gdt)[kGdtEntries], TaskStateSegment& tss,
    const uint64_t (&interrupt_stack_tops)[kInterruptStackCount]);
// lgdt, the segment registers reloaded (FS and GS null: GS base is set
// after), ltr: on the CPU that is to use these tables.
void load_gdt(uint64_t (&gdt)[kGdtEntries]);

// The boot CPU's tables and stacks (index as for known_stack), static.
TaskStateSegment& boot_cpu_tss();
uint64_t (&boot_cpu_gdt())[kGdtEntries];
bool boot_cpu_stack(unsigned index, StackRange& range);

// "kernel stack", "double-fault IST stack", ...: for reports, by index as
// for known_stack (below kKnownStackCount).
const char* known_stack_name(unsigned index);

// The calling CPU's kernel stack and IST stacks, with their guard pages,
// for the backtrace walker and the stack-overflow report. Returns false
// when index is past the last one.
bool known_stack(unsigned index, StackRange& range);

} // namespace arch
