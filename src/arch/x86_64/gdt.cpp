#include "arch/x86_64/gdt.h"

#include <stddef.h>

#include "arch/page_size.h"
#include "arch/x86_64/segment_descriptor.h"
#include "kernel/ro_after_init.h"

namespace arch {
namespace {

struct [[gnu::packed]] DescriptorTablePointer {
    uint16_t limit;
    uint64_t base;
};
static_assert(sizeof(DescriptorTablePointer) == 10);

// Code and data descriptors, DPL 0 for the kernel and 3 for user mode.
constexpr uint64_t kKernelCode64 = flat_segment(SegmentType::CodeExecuteReadAccessed, 0).value();
constexpr uint64_t kKernelData = flat_segment(SegmentType::DataReadWriteAccessed, 0).value();
constexpr uint64_t kUserData = flat_segment(SegmentType::DataReadWriteAccessed, 3).value();
constexpr uint64_t kUserCode64 = flat_segment(SegmentType::CodeExecuteReadAccessed, 3).value();
// The values the GDT held as raw hex before it was built from fields.
static_assert(kKernelCode64 == 0x00AF9B000000FFFF); // P, DPL0, code RX, L, accessed
static_assert(kKernelData == 0x00CF93000000FFFF); // P, DPL0, data RW, accessed
static_assert(kUserData == 0x00CFF3000000FFFF); // P, DPL3, data RW, accessed
static_assert(kUserCode64 == 0x00AFFB000000FFFF); // P, DPL3, code RX, L, accessed

// Each IST stack sits right above a page that the paging code leaves
// unmapped, so an overflow faults instead of corrupting what lies below.
struct alignas(kPageSize) GuardedStack {
    uint8_t guard[kPageSize];
    uint8_t stack[kInterruptStackSize];
};

GuardedStack g_interrupt_stacks[kInterruptStackCount];
RO_AFTER_INIT TaskStateSegment g_tss;
RO_AFTER_INIT uint64_t g_gdt[kGdtEntries];

constexpr const char* kStackNames[kKnownStackCount] = {
    "kernel stack",
    "double-fault IST stack",
    "NMI IST stack",
    "machine-check IST stack",
};

} // namespace

const char* known_stack_name(unsigned index)
{
    return kStackNames[index];
}

extern "C" const uint8_t kernel_stack_guard[], kernel_stack_bottom[], kernel_stack_top[];

void build_gdt(uint64_t (&gdt)[kGdtEntries], TaskStateSegment& tss,
    const uint64_t (&interrupt_stack_tops)[kInterruptStackCount])
{
    tss = TaskStateSegment {};
    for (unsigned i = 0; i < kInterruptStackCount; ++i)
        tss.ist[i] = interrupt_stack_tops[i];
    tss.io_map_base = sizeof(TaskStateSegment); // no I/O permission bitmap

    auto tss_base = reinterpret_cast<uint64_t>(&tss);
    gdt[0] = 0;
    gdt[1] = kKernelCode64;
    gdt[2] = kKernelData;
    gdt[3] = kUserData;
    gdt[4] = kUserCode64;
    gdt[5] = tss_descriptor_low(tss_base, sizeof(TaskStateSegment) - 1).value();
    gdt[6] = tss_descriptor_high(tss_base);
}

void load_gdt(uint64_t (&gdt)[kGdtEntries])
{
    DescriptorTablePointer pointer { sizeof(gdt) - 1, reinterpret_cast<uint64_t>(gdt) };
    asm volatile("lgdt %0" : : "m"(pointer) : "memory");
    // CS can only be reloaded by a far transfer: return to the next
    // instruction through lretq with the new selector.
    asm volatile("pushq %[code]\n"
                 "leaq 1f(%%rip), %%rax\n"
                 "pushq %%rax\n"
                 "lretq\n"
                 "1:\n"
                 "movw %[data], %%ax\n"
                 "movw %%ax, %%ds\n"
                 "movw %%ax, %%es\n"
                 "movw %%ax, %%ss\n"
                 "xorw %%ax, %%ax\n"
                 "movw %%ax, %%fs\n"
                 "movw %%ax, %%gs\n"
                 :
                 : [code] "i"(static_cast<uint16_t>(Selector::KernelCode)),
                 [data] "i"(static_cast<uint16_t>(Selector::KernelData))
                 : "rax", "memory");
    asm volatile("ltr %w0" : : "r"(static_cast<uint16_t>(Selector::Tss)) : "memory");
}

void init_gdt()
{
    uint64_t tops[kInterruptStackCount];
    for (unsigned i = 0; i < kInterruptStackCount; ++i)
        tops[i] = reinterpret_cast<uint64_t>(g_interrupt_stacks[i].stack + kInterruptStackSize);
    build_gdt(g_gdt, g_tss, tops);
    load_gdt(g_gdt);
}

TaskStateSegment& boot_cpu_tss()
{
    return g_tss;
}

uint64_t (&boot_cpu_gdt())[kGdtEntries]
{
    return g_gdt;
}

bool boot_cpu_stack(unsigned index, StackRange& range)
{
    if (index == 0) {
        range = { kStackNames[0], reinterpret_cast<uint64_t>(kernel_stack_guard),
            reinterpret_cast<uint64_t>(kernel_stack_bottom), reinterpret_cast<uint64_t>(kernel_stack_top) };
        return true;
    }
    if (index > kInterruptStackCount)
        return false;
    const GuardedStack& stack = g_interrupt_stacks[index - 1];
    range = { kStackNames[index], reinterpret_cast<uint64_t>(stack.guard),
        reinterpret_cast<uint64_t>(stack.stack),
        reinterpret_cast<uint64_t>(stack.stack) + kInterruptStackSize };
    return true;
}

} // namespace arch
