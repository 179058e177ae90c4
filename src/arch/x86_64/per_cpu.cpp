#include "arch/x86_64/per_cpu.h"

#include "arch/interrupts.h"

#include <new>

#include "arch/cpu.h"
#include "arch/page_size.h"
#include "arch/paging.h"
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/idt.h"
#include "lib/atomic.h"
#include "mm/cpu_stack_region.h"
#include "mm/kernel_heap.h"
#include "mm/physical_memory.h"

namespace arch {

// Not in an anonymous namespace: the boot tests find it in the ELF, to
// compare with the GS base QEMU shows.
PerCpu g_boot_cpu;

namespace {

// Set once the boot CPU's GS base points at g_boot_cpu. Before that (the
// first instructions of kernel_main) only the boot CPU runs, and what asks
// for the calling CPU gets the boot CPU's figures. An AP sets its GS base
// before it runs any other kernel code (enter_application_processor).
bool g_gs_base_set = false;
lib::Atomic<unsigned> g_cpus_online { 0 };
// Online CPUs by index: written once by the CPU itself as it comes online.
lib::Atomic<PerCpu*> g_cpus_by_index[kMaxCpus];

// An AP's block, GDT and TSS: one heap block, the PerCpu first so that
// its address is the block's.
struct ApplicationProcessorTables {
    PerCpu cpu;
    alignas(16) uint64_t gdt[kGdtEntries];
    TaskStateSegment tss;
};
static_assert(offsetof(ApplicationProcessorTables, cpu) == 0);

constexpr size_t stack_bytes(unsigned stack)
{
    return stack == 0 ? mm::kCpuKernelStackBytes : kInterruptStackSize;
}

// Where a stack's lowest byte is in its CPU's slot: the kernel stack above
// the slot's first page, each IST stack above the previous stack and a
// guard page of its own.
constexpr uint64_t stack_bottom_in_slot(unsigned stack)
{
    uint64_t bottom = kPageSize;
    for (unsigned below = 0; below < stack; ++below)
        bottom += stack_bytes(below) + kPageSize;
    return bottom;
}
static_assert(
    stack_bottom_in_slot(kInterruptStackCount) + stack_bytes(kInterruptStackCount) == mm::kCpuStackSlotBytes,
    "the slot holds the kernel stack and the IST stacks with their guard pages, nothing more");

void set_gs_base(PerCpu& cpu)
{
    write_msr(Msr::GsBase, reinterpret_cast<uint64_t>(&cpu));
}

// CPUID leaf 1 EBX[31:24]: the initial APIC ID (Intel SDM Vol. 2A, CPUID).
uint32_t initial_apic_id()
{
    return cpuid(1).ebx >> 24;
}

void unmap_pages(uint64_t bottom, size_t bytes)
{
    unmap_and_free_kernel_pages(bottom, bytes / kPageSize);
}

// All of [bottom, bottom + bytes) on fresh frames, or nothing mapped.
bool map_stack(uint64_t bottom, size_t bytes)
{
    for (size_t done = 0; done < bytes; done += kPageSize) {
        auto frame = mm::allocate_frame();
        bool mapped = frame && map_kernel_data_page(bottom + done, frame.value());
        if (!mapped) {
            if (frame)
                mm::free_frame(frame.value());
            unmap_pages(bottom, done);
            return false;
        }
    }
    return true;
}

void unmap_stacks(PerCpu& cpu, unsigned count)
{
    for (unsigned i = 0; i < count; ++i)
        unmap_pages(cpu.stacks[i].bottom, cpu.stacks[i].top - cpu.stacks[i].bottom);
}

} // namespace

PerCpu& this_cpu()
{
    PerCpu* cpu;
    asm volatile("movq %%gs:0, %0" : "=r"(cpu));
    return *cpu;
}

bool in_interrupt_handler()
{
    return g_gs_base_set && this_cpu().current_frame != nullptr;
}

unsigned current_cpu_index()
{
    return g_gs_base_set ? this_cpu().index : 0;
}

uint32_t current_apic_id()
{
    return g_gs_base_set ? this_cpu().apic_id : initial_apic_id();
}

unsigned cpu_count_online()
{
    return g_cpus_online.load();
}

void init_boot_cpu()
{
    PerCpu& cpu = g_boot_cpu;
    cpu.self = &cpu;
    cpu.index = 0;
    cpu.apic_id = initial_apic_id();
    cpu.gdt = &boot_cpu_gdt();
    cpu.tss = &boot_cpu_tss();
    for (unsigned i = 0; i < kKnownStackCount; ++i)
        boot_cpu_stack(i, cpu.stacks[i]);
    cpu.kernel_stack_top = cpu.stacks[0].top;
    set_gs_base(cpu);
    g_gs_base_set = true;
    g_cpus_by_index[0].store(&cpu);
    g_cpus_online.store(1);
}

bool known_stack(unsigned index, StackRange& range)
{
    if (!g_gs_base_set)
        return boot_cpu_stack(index, range);
    if (index >= kKnownStackCount)
        return false;
    range = this_cpu().stacks[index];
    return true;
}

PerCpu* prepare_application_processor(unsigned index, uint32_t apic_id)
{
    if (index == 0 || index >= kMaxCpus)
        return nullptr;
    void* memory = mm::kalloc(sizeof(ApplicationProcessorTables), alignof(ApplicationProcessorTables));
    if (memory == nullptr)
        return nullptr;
    auto* tables = new (memory) ApplicationProcessorTables {};
    PerCpu& cpu = tables->cpu;

    uint64_t slot = mm::kCpuStackRegionBase + index * mm::kCpuStackSlotBytes;
    for (unsigned i = 0; i < kKnownStackCount; ++i) {
        uint64_t bottom = slot + stack_bottom_in_slot(i);
        if (!map_stack(bottom, stack_bytes(i))) {
            unmap_stacks(cpu, i);
            mm::kfree(tables);
            return nullptr;
        }
        cpu.stacks[i] = { known_stack_name(i), bottom - kPageSize, bottom, bottom + stack_bytes(i) };
    }

    cpu.self = &cpu;
    cpu.index = index;
    cpu.apic_id = apic_id;
    cpu.kernel_stack_top = cpu.stacks[0].top;
    cpu.gdt = &tables->gdt;
    cpu.tss = &tables->tss;
    uint64_t interrupt_stack_tops[kInterruptStackCount];
    for (unsigned i = 0; i < kInterruptStackCount; ++i)
        interrupt_stack_tops[i] = cpu.stacks[1 + i].top;
    build_gdt(tables->gdt, tables->tss, interrupt_stack_tops);
    return &cpu;
}

void release_application_processor(PerCpu& cpu)
{
    unmap_stacks(cpu, kKnownStackCount);
    mm::kfree(&cpu); // the tables' block: the PerCpu is its start
}

void enter_application_processor(PerCpu& cpu)
{
    // GS base first, so a fault while the tables load finds this CPU's
    // block (the fault report reads it); and again after, because loading
    // the GDT reloads GS, which clears its base.
    set_gs_base(cpu);
    load_gdt(*cpu.gdt);
    set_gs_base(cpu);
    load_idt();
}

void mark_application_processor_online(PerCpu& cpu)
{
    g_cpus_by_index[cpu.index].store(&cpu, lib::MemoryOrder::Release);
    g_cpus_online.fetch_add(1);
}

PerCpu* cpu_by_index(unsigned index)
{
    return index < kMaxCpus ? g_cpus_by_index[index].load(lib::MemoryOrder::Acquire) : nullptr;
}

} // namespace arch
