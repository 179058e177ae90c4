// Kernel tests of the TLB shootdown: a page another CPU has just read (so
// its TLB holds the translation) must fault there once this CPU unmapped
// it. Without the shootdown the other CPU keeps reading the freed frame.
// Under -smp 1 the one-CPU form: unmap and read on the boot CPU.

#include <stdint.h>

#include "arch/page_size.h"
#include "arch/paging.h"
#include "arch/safe_memory.h"
#include "arch/x86_64/per_cpu.h"
#include "kernel/cross_cpu_call.h"
#include "ktest/ktest.h"
#include "ktest/owners.h"
#include "lib/atomic.h"
#include "mm/direct_map.h"
#include "mm/physical_memory.h"
#include "sync/interrupt_guard.h"

namespace arch {
namespace {

// A page of addresses nothing else uses (PML4 slot 388, next to the paging
// tests' scratch page).
constexpr uint64_t kShootdownTestPage = 0xFFFFC20000001000;
constexpr uint64_t kPattern = 0x5EED'0F'7AB1E'0000;

struct Read {
    bool readable;
    uint64_t value;
};

void read_test_page(void* argument)
{
    auto& read = *static_cast<Read*>(argument);
    read.readable = read_word_nofault(kShootdownTestPage, read.value);
}

Read read_on(unsigned cpu)
{
    Read read {};
    kernel::run_on_cpus(kernel::CpuSet::just(cpu), read_test_page, &read);
    return read;
}

// Every CPU at once maps and unmaps a page of its own with interrupts off:
// each unmap's initiator waits for the others' answers while they wait for
// their turn to initiate, deaf to the IPI. They must answer while waiting,
// or the CPUs wait on each other for good (the run then hangs here).
constexpr unsigned kRoundsPerCpu = 50;

struct ConcurrentUnmaps {
    lib::Atomic<unsigned> completed;
    lib::Atomic<unsigned> failures; // no frame, or the wrong frame back
};

void map_and_unmap_with_interrupts_off(void* argument)
{
    auto& result = *static_cast<ConcurrentUnmaps*>(argument);
    uint64_t page = kShootdownTestPage + (1 + current_cpu_index()) * kPageSize;
    sync::InterruptGuard interrupts_off;
    for (unsigned round = 0; round < kRoundsPerCpu; ++round) {
        auto frame = mm::allocate_frame();
        if (!frame || !map_kernel_data_page(page, frame.value())) {
            result.failures.fetch_add(1);
            return;
        }
        if (unmap_kernel_page(page) != frame.value())
            result.failures.fetch_add(1);
        mm::free_frame(frame.value());
        result.completed.fetch_add(1);
    }
}

// A run of pages unmapped at once, well above the pages of the tests above
// (one a CPU).
constexpr uint64_t kRangeTestPages = 8;
constexpr uint64_t kRangeTestStart = kShootdownTestPage + 256 * kPageSize;

struct RangeRead {
    unsigned readable;
    unsigned right_values;
};

void read_range(void* argument)
{
    auto& read = *static_cast<RangeRead*>(argument);
    for (uint64_t i = 0; i < kRangeTestPages; ++i) {
        uint64_t value = 0;
        if (!read_word_nofault(kRangeTestStart + i * kPageSize, value))
            continue;
        ++read.readable;
        read.right_values += value == kPattern + i ? 1 : 0;
    }
}

RangeRead read_range_on(unsigned cpu)
{
    RangeRead read {};
    kernel::run_on_cpus(kernel::CpuSet::just(cpu), read_range, &read);
    return read;
}

} // namespace

KTEST(tlb_shootdown, pages_unmapped_together_fault_on_another_cpu_after_one_shootdown)
{
    unsigned reader = cpu_count_online() > 1 ? 1 : current_cpu_index();
    uint64_t frames[kRangeTestPages] = {};
    ktest::OwnedFrames owned(frames, kRangeTestPages);
    for (uint64_t i = 0; i < kRangeTestPages; ++i)
        KASSERT_TRUE(owned.allocate());
    for (uint64_t i = 0; i < kRangeTestPages; ++i)
        *mm::physical_to_virtual<uint64_t>(frames[i]) = kPattern + i;
    KASSERT_EQ(map_kernel_data_pages(kRangeTestStart, frames, kRangeTestPages), size_t { kRangeTestPages });
    RangeRead before = read_range_on(reader);
    KEXPECT_EQ(before.right_values, unsigned { kRangeTestPages });
    uint64_t unmapped[kRangeTestPages] = {};
    uint64_t sent;
    {
        // On this CPU from before to after: the count is this CPU's.
        sync::InterruptGuard stay_on_this_cpu;
        uint64_t sent_before = this_cpu().tlb_shootdowns_sent;
        unmap_kernel_pages(kRangeTestStart, kRangeTestPages, unmapped);
        sent = this_cpu().tlb_shootdowns_sent - sent_before;
    }
    for (uint64_t i = 0; i < kRangeTestPages; ++i)
        KEXPECT_EQ(unmapped[i], frames[i]);
    RangeRead after = read_range_on(reader);
    KEXPECT_EQ(after.readable, 0u);
    KEXPECT_EQ(sent, cpu_count_online() > 1 ? uint64_t { 1 } : uint64_t { 0 });
}

KTEST(tlb_shootdown, every_cpu_unmapping_at_once_with_interrupts_off_completes)
{
    static ConcurrentUnmaps result;
    result.completed.store(0);
    result.failures.store(0);
    uint64_t sent_before = this_cpu().tlb_shootdowns_sent;
    kernel::run_on_cpus(kernel::CpuSet::all_online(), map_and_unmap_with_interrupts_off, &result);
    KEXPECT_EQ(result.failures.load(), 0u);
    KEXPECT_EQ(result.completed.load(), kRoundsPerCpu * cpu_count_online());
    if (cpu_count_online() > 1)
        KEXPECT_EQ(this_cpu().tlb_shootdowns_sent - sent_before, uint64_t { kRoundsPerCpu });
}

KTEST(tlb_shootdown, a_page_another_cpu_read_faults_there_once_unmapped)
{
    unsigned reader = cpu_count_online() > 1 ? 1 : current_cpu_index();
    uint64_t received_before
        = reader == current_cpu_index() ? 0 : cpu_by_index(reader)->tlb_shootdowns_received;
    constexpr unsigned kIterations = 100;
    unsigned stale_reads = 0;
    for (unsigned i = 0; i < kIterations; ++i) {
        uint64_t frame = 0;
        ktest::OwnedFrames frames(&frame, 1);
        KASSERT_TRUE(frames.allocate());
        *mm::physical_to_virtual<uint64_t>(frame) = kPattern + i;
        KASSERT_TRUE(map_kernel_data_page(kShootdownTestPage, frame));
        Read before = read_on(reader);
        KEXPECT_TRUE(before.readable);
        KEXPECT_EQ(before.value, kPattern + i);
        KASSERT_EQ(unmap_kernel_page(kShootdownTestPage), frame);
        Read after = read_on(reader);
        if (after.readable)
            ++stale_reads;
    }
    if (stale_reads != 0)
        ktest_context.diagnostic(
            "CPU {} still read the unmapped page {} times of {}", reader, stale_reads, kIterations);
    KEXPECT_EQ(stale_reads, 0u);
    if (reader != current_cpu_index())
        KEXPECT_GE(cpu_by_index(reader)->tlb_shootdowns_received - received_before, uint64_t { kIterations });
}

} // namespace arch
