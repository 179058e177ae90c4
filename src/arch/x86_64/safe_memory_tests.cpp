// Kernel tests of reads through the exception table: unmapped, null and
// non-canonical addresses give errors, one after another, and the kernel
// carries on; mapped memory reads as it is.

#include <stdint.h>

#include "arch/fault_triggers.h"
#include "arch/page_size.h"
#include "arch/safe_memory.h"
#include "ktest/ktest.h"

namespace arch {
namespace {

const uint64_t g_known_words[2] = { 0x0123456789ABCDEF, 0xFEDCBA9876543210 };

} // namespace

KTEST(safe_memory, faulting_reads_return_errors_and_the_kernel_carries_on)
{
    uint64_t before = recovered_faults();
    uint64_t value = 0x5A5A;
    KEXPECT_FALSE(read_word_nofault(kUnmappedAddress, value)); // #PF, not present
    KEXPECT_FALSE(read_word_nofault(0, value)); // the null page
    KEXPECT_FALSE(read_word_nofault(kNonCanonicalAddress, value)); // #GP
    KEXPECT_FALSE(read_word_nofault(kUnmappedAddress + kPageSize, value));
    KEXPECT_EQ(value, 0x5A5Au); // untouched by failed reads
    KEXPECT_EQ(recovered_faults() - before, 4u);
}

KTEST(safe_memory, mapped_memory_reads_as_it_is)
{
    uint64_t value = 0;
    KASSERT_TRUE(read_word_nofault(reinterpret_cast<uint64_t>(&g_known_words[0]), value));
    KEXPECT_EQ(value, 0x0123456789ABCDEFu);
    uint8_t bytes[11] = {};
    // Unaligned, across the two words.
    KASSERT_TRUE(
        copy_from_kernel_nofault(bytes, reinterpret_cast<uint64_t>(&g_known_words[0]) + 3, sizeof(bytes)));
    KEXPECT_EQ(bytes[0], 0x89u);
    KEXPECT_EQ(bytes[4], 0x01u);
    KEXPECT_EQ(bytes[5], 0x10u);
    KEXPECT_EQ(bytes[10], 0xBAu);
}

KTEST(safe_memory, a_copy_that_runs_into_unmapped_memory_stops_with_an_error)
{
    uint8_t bytes[16] = {};
    KEXPECT_FALSE(copy_from_kernel_nofault(bytes, kUnmappedAddress - 8, sizeof(bytes)));
}

} // namespace arch
