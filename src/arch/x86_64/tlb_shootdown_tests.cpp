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
#include "mm/direct_map.h"

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

} // namespace

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
