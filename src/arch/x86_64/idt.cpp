#include "arch/x86_64/idt.h"

#include <stddef.h>

#include "arch/resume_point.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/per_cpu.h"
#include "arch/x86_64/rflags.h"
#include "kernel/log.h"
#include "kernel/ro_after_init.h"
#include "sched/scheduler.h"

extern "C" const uint64_t interrupt_stub_table[arch::kVectorCount];

namespace arch {
namespace {

// Intel SDM Vol. 3A 6.14.1, Figure 6-8: a 64-bit interrupt gate.
struct IdtGate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist; // bits 0-2: IST slot, 0 for none
    uint8_t type_attributes; // P, DPL, type
    uint16_t offset_middle;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(IdtGate) == 16);

struct [[gnu::packed]] IdtPointer {
    uint16_t limit;
    uint64_t base;
};

// The gate's type-attribute byte (Intel SDM Vol. 3A 6.14.1, Figure 6-8):
// type in bits 0-3, DPL in bits 5-6, present in bit 7.
enum class GateType : uint8_t {
    Interrupt = 0xE, // IF cleared on entry: handlers start with interrupts off
    Trap = 0xF,
};
constexpr uint8_t gate_attributes(GateType type, uint8_t privilege_level, bool present)
{
    return static_cast<uint8_t>(
        static_cast<uint8_t>(type) | (privilege_level & 3) << 5 | (present ? 1 : 0) << 7);
}
constexpr uint8_t kInterruptGate = gate_attributes(GateType::Interrupt, 0, true);
static_assert(kInterruptGate == 0x8E, "present, DPL 0, 64-bit interrupt gate");

RO_AFTER_INIT alignas(16) IdtGate g_idt[kVectorCount];
InterruptHandler g_handlers[kVectorCount];

IdtGate make_gate(uint64_t handler, InterruptStack stack)
{
    return IdtGate {
        static_cast<uint16_t>(handler & 0xFFFF),
        static_cast<uint16_t>(Selector::KernelCode),
        static_cast<uint8_t>(stack),
        kInterruptGate,
        static_cast<uint16_t>((handler >> 16) & 0xFFFF),
        static_cast<uint32_t>(handler >> 32),
        0,
    };
}

InterruptStack stack_for(size_t vector)
{
    switch (vector) {
    case kDoubleFaultVector:
        return InterruptStack::DoubleFault;
    case kNmiVector:
        return InterruptStack::Nmi;
    case kMachineCheckVector:
        return InterruptStack::MachineCheck;
    default:
        return InterruptStack::None;
    }
}

} // namespace

void init_idt()
{
    for (size_t vector = 0; vector < kVectorCount; ++vector)
        g_idt[vector] = make_gate(interrupt_stub_table[vector], stack_for(vector));
    load_idt();
}

void load_idt()
{
    IdtPointer pointer { sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(g_idt) };
    asm volatile("lidt %0" : : "m"(pointer) : "memory");
}

void load_empty_idt()
{
    IdtPointer pointer { 0, 0 };
    asm volatile("lidt %0" : : "m"(pointer) : "memory");
}

void set_interrupt_handler(uint8_t vector, InterruptHandler handler)
{
    if (vector >= kFirstIrqVector)
        g_handlers[vector] = handler;
}

bool redirect_interrupt_return(void (*target)())
{
    // The calling CPU's handler and frame: set by redirect_interrupt_return
    // during a handler, applied to the frame once the handler is done.
    // Interrupts are off throughout, so nothing else on this CPU touches them.
    PerCpu& cpu = this_cpu();
    InterruptFrame* frame = cpu.current_frame;
    if (frame == nullptr || (frame->cs & 3) != 0 || !Rflags(frame->rflags).interrupt_enable())
        return false;
    cpu.redirect = target;
    return true;
}

} // namespace arch

// Called by asm/interrupt_stubs.asm with interrupts off.
extern "C" void interrupt_dispatch(arch::InterruptFrame* frame)
{
    if (frame->vector < arch::kFirstIrqVector) {
        arch::handle_exception(*frame);
        return;
    }
    arch::InterruptHandler handler = arch::g_handlers[frame->vector];
    if (handler == nullptr) {
        kernel::log(kernel::LogTag::Cpu, "warning: interrupt on vector {} with no handler", frame->vector);
        return;
    }
    arch::PerCpu& cpu = arch::this_cpu();
    cpu.current_frame = frame;
    handler(*frame);
    cpu.current_frame = nullptr;
    if (cpu.redirect != nullptr) {
        // iretq lands at the start of the target, on the interrupted stack,
        // as if the interrupted code had jumped there.
        frame->rip = reinterpret_cast<uint64_t>(cpu.redirect);
        cpu.redirect = nullptr;
    }
    // On the interrupted thread's stack, the frame saved on it: a switch
    // here returns to this point when the thread runs again, and its
    // iretq then resumes it.
    sched::preempt_at_interrupt_exit((frame->cs & 3) == 0 && arch::Rflags(frame->rflags).interrupt_enable());
}
