#include "arch/safe_memory.h"

#include "arch/x86_64/exception_table.h"
#include "lib/atomic.h"

extern "C" const arch::ExceptionTableEntry __exception_table_start[], __exception_table_end[];

namespace arch {
namespace {

lib::Atomic<uint64_t> g_recovered = 0;

} // namespace

uint64_t exception_fixup(uint64_t rip)
{
    for (const ExceptionTableEntry* entry = __exception_table_start; entry != __exception_table_end;
         ++entry) {
        if (entry->faulting_instruction == rip) {
            g_recovered.fetch_add(1, lib::MemoryOrder::Relaxed);
            return entry->resume_at;
        }
    }
    return 0;
}

uint64_t recovered_faults()
{
    return g_recovered.load(lib::MemoryOrder::Relaxed);
}

bool read_word_nofault(uint64_t address, uint64_t& value)
{
    // failed starts at 1; the instruction after the load clears it. A fault
    // at the load resumes at 2:, past the clear.
    uint64_t loaded = 0;
    uint32_t failed = 1;
    asm volatile("1: movq (%[address]), %[loaded]\n"
                 "   movl $0, %[failed]\n"
                 "2:\n"
                 ".pushsection .exception_table, \"a\"\n"
                 ".balign 8\n"
                 ".quad 1b, 2b\n"
                 ".popsection\n"
                 : [loaded] "+r"(loaded), [failed] "+r"(failed)
                 : [address] "r"(address)
                 : "memory");
    if (failed != 0)
        return false;
    value = loaded;
    return true;
}

bool copy_from_kernel_nofault(void* destination, uint64_t source, size_t bytes)
{
    auto* out = static_cast<uint8_t*>(destination);
    while (bytes > 0) {
        // Whole words where the word does not cross into the next page
        // beyond what is asked; the rest byte by byte through an aligned word.
        uint64_t word_address = source & ~7ull;
        uint64_t word = 0;
        if (!read_word_nofault(word_address, word))
            return false;
        size_t skip = source - word_address;
        size_t take = 8 - skip < bytes ? 8 - skip : bytes;
        for (size_t i = 0; i < take; ++i)
            out[i] = static_cast<uint8_t>(word >> (8 * (skip + i)));
        out += take;
        source += take;
        bytes -= take;
    }
    return true;
}

} // namespace arch
