#pragma once

// The kernel's GDT and TSS, replacing the trampoline's GDT. The TSS holds
// the interrupt stack table: #DF, NMI and #MC run on stacks of their own, so
// they can be reported even when the kernel stack is gone (an overflow).

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

struct StackRange {
    const char* name;
    uint64_t guard; // the unmapped page just below the stack
    uint64_t bottom; // lowest usable address
    uint64_t top; // one past the highest
};

void init_gdt();

// The kernel stack and the IST stacks, with their guard pages, for the
// backtrace walker and the stack-overflow report. Returns false when index
// is past the last one.
bool known_stack(unsigned index, StackRange& range);

} // namespace arch
