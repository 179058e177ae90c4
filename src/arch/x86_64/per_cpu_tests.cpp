// Kernel tests of per-CPU state: the boot CPU's block behind GS, and an
// application processor's block, tables and guarded stacks as
// prepare_application_processor leaves them (no AP has to run for that).

#include <stdint.h>

#include "arch/page_size.h"
#include "arch/paging.h"
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/per_cpu.h"
#include "ktest/ktest.h"
#include "mm/cpu_stack_region.h"
#include "mm/direct_map.h"
#include "mm/physical_memory.h"

namespace arch {
namespace {

// The last index: one no CPU of a test machine has (under -smp 4, the
// kernel-test boot, index 1 is a running CPU's, and preparing it again
// panics).
constexpr unsigned kTestIndex = kMaxCpus - 1;
constexpr uint32_t kTestApicId = 0x2A;

// An AP's block for the test's length, released on every way out.
class PreparedCpu {
public:
    PreparedCpu()
        : m_cpu(prepare_application_processor(kTestIndex, kTestApicId))
    {
    }
    ~PreparedCpu()
    {
        if (m_cpu != nullptr)
            release_application_processor(*m_cpu);
    }
    PreparedCpu(const PreparedCpu&) = delete;
    PreparedCpu& operator=(const PreparedCpu&) = delete;

    PerCpu* get() const { return m_cpu; }

private:
    PerCpu* m_cpu;
};

// Every free frame but `left`, for the test's length: each taken frame
// holds the address of the one taken before it (through the direct map),
// so holding them all needs no storage of its own.
class FrameHoard {
public:
    explicit FrameHoard(uint64_t left)
    {
        while (mm::frame_statistics().free > left) {
            auto frame = mm::allocate_frame();
            if (!frame)
                break;
            *mm::physical_to_virtual<uint64_t>(frame.value()) = m_last;
            m_last = frame.value();
        }
    }
    ~FrameHoard()
    {
        while (m_last != 0) {
            uint64_t previous = *mm::physical_to_virtual<uint64_t>(m_last);
            mm::free_frame(m_last);
            m_last = previous;
        }
    }
    FrameHoard(const FrameHoard&) = delete;
    FrameHoard& operator=(const FrameHoard&) = delete;

private:
    uint64_t m_last = 0; // frame 0 is never handed out: the end of the chain
};

// The base address a 64-bit TSS descriptor holds (Intel SDM Vol. 3A 8.2.3,
// Figure 8-4): bits 0-23 in the low word's 16-39, 24-31 in its 56-63, and
// 32-63 in the high word.
uint64_t tss_descriptor_base(uint64_t low, uint64_t high)
{
    return (low >> 16 & 0xFFFFFF) | (low >> 56 & 0xFF) << 24 | (high & 0xFFFFFFFF) << 32;
}

} // namespace

KTEST(per_cpu, the_boot_cpu_block_is_behind_gs)
{
    PerCpu& cpu = this_cpu();
    KEXPECT_EQ(reinterpret_cast<uint64_t>(&cpu), read_msr(Msr::GsBase));
    KEXPECT_EQ(cpu.self, &cpu);
    KEXPECT_EQ(cpu.index, 0u);
    KEXPECT_EQ(current_cpu_index(), 0u);
    KEXPECT_GE(cpu_count_online(), 1u);
}

KTEST(per_cpu, an_application_processor_gets_its_own_guarded_stacks_and_tables)
{
    PreparedCpu prepared;
    KASSERT_TRUE(prepared.get() != nullptr);
    const PerCpu& cpu = *prepared.get();
    KEXPECT_EQ(cpu.self, prepared.get());
    KEXPECT_EQ(cpu.index, kTestIndex);
    KEXPECT_EQ(cpu.apic_id, kTestApicId);
    KEXPECT_EQ(cpu.kernel_stack_top, cpu.stacks[0].top);
    KEXPECT_EQ(cpu.stacks[0].top - cpu.stacks[0].bottom, mm::kCpuKernelStackBytes);

    uint64_t slot = mm::kCpuStackRegionBase + kTestIndex * mm::kCpuStackSlotBytes;
    for (const StackRange& stack : cpu.stacks) {
        KEXPECT_EQ(stack.guard + kPageSize, stack.bottom);
        KEXPECT_GE(stack.guard, slot);
        KEXPECT_LE(stack.top, slot + mm::kCpuStackSlotBytes);
        KEXPECT_FALSE(look_up_kernel_address(stack.guard).mapped);
        for (uint64_t page = stack.bottom; page < stack.top; page += kPageSize) {
            KernelMapping mapping = look_up_kernel_address(page);
            KEXPECT_TRUE(mapping.mapped);
            KEXPECT_TRUE(mapping.writable);
            if (no_execute_enforced())
                KEXPECT_FALSE(mapping.executable);
        }
        // The stack is usable: its top and bottom bytes hold what is written.
        auto* top_word = reinterpret_cast<volatile uint64_t*>(stack.top - 8);
        auto* bottom_word = reinterpret_cast<volatile uint64_t*>(stack.bottom);
        *top_word = stack.top;
        *bottom_word = stack.bottom;
        KEXPECT_EQ(*top_word, stack.top);
        KEXPECT_EQ(*bottom_word, stack.bottom);
    }
    // No two stacks share a page.
    for (unsigned i = 1; i < kKnownStackCount; ++i)
        KEXPECT_GE(cpu.stacks[i].guard, cpu.stacks[i - 1].top);

    const uint64_t* gdt = *cpu.gdt;
    constexpr unsigned kTssSlot = static_cast<uint16_t>(Selector::Tss) / 8;
    KEXPECT_EQ(tss_descriptor_base(gdt[kTssSlot], gdt[kTssSlot + 1]), reinterpret_cast<uint64_t>(cpu.tss));
    KEXPECT_NE(cpu.gdt, &boot_cpu_gdt());
    KEXPECT_NE(cpu.tss, &boot_cpu_tss());
    for (unsigned i = 0; i < kInterruptStackCount; ++i)
        KEXPECT_EQ(cpu.tss->ist[i], cpu.stacks[1 + i].top);
}

KTEST(per_cpu, releasing_an_application_processor_unmaps_its_stacks)
{
    StackRange stacks[kKnownStackCount];
    {
        PreparedCpu prepared;
        KASSERT_TRUE(prepared.get() != nullptr);
        for (unsigned i = 0; i < kKnownStackCount; ++i)
            stacks[i] = prepared.get()->stacks[i];
    }
    for (const StackRange& stack : stacks) {
        for (uint64_t page = stack.bottom; page < stack.top; page += kPageSize)
            KEXPECT_FALSE(look_up_kernel_address(page).mapped);
    }
}

// Fewer frames free than an AP's stacks need (16 + 3 * 4 pages and their
// tables): the stacks mapped before the frames ran out are unmapped again
// and their frames freed; the tables made on the way stay (as they do for
// every kernel mapping).
KTEST(per_cpu, running_out_of_frames_midway_leaves_nothing_behind)
{
    constexpr uint64_t kFramesLeft = 20;
    uint64_t slot = mm::kCpuStackRegionBase + kTestIndex * mm::kCpuStackSlotBytes;
    FrameHoard hoard(kFramesLeft);
    KASSERT_EQ(mm::frame_statistics().free, kFramesLeft);
    uint64_t tables_before = count_page_table_frames();

    KEXPECT_TRUE(prepare_application_processor(kTestIndex, kTestApicId) == nullptr);

    uint64_t new_tables = count_page_table_frames() - tables_before;
    KEXPECT_EQ(mm::frame_statistics().free + new_tables, kFramesLeft);
    for (uint64_t page = slot; page < slot + mm::kCpuStackSlotBytes; page += kPageSize)
        KEXPECT_FALSE(look_up_kernel_address(page).mapped);
}

KTEST(per_cpu, the_boot_cpu_index_and_one_past_the_last_are_refused)
{
    KEXPECT_TRUE(prepare_application_processor(0, kTestApicId) == nullptr);
    KEXPECT_TRUE(prepare_application_processor(kMaxCpus, kTestApicId) == nullptr);
}

} // namespace arch
