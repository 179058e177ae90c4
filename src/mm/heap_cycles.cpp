#include "mm/heap_cycles.h"

#include <stddef.h>

#include "arch/cpu.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "mm/kernel_heap.h"

namespace mm {

void measure_heap_cycles(uint64_t tsc_cycles_per_ms)
{
    constexpr size_t kSizes[] = { 16, 64, 256, 1024, 4096 };
    constexpr unsigned kWarmUp = 1000;
    constexpr unsigned kPairs = 20000;
    for (size_t size : kSizes) {
        for (unsigned i = 0; i < kWarmUp; ++i)
            kfree(kalloc(size));
        uint64_t start = arch::read_timestamp_counter();
        for (unsigned i = 0; i < kPairs; ++i) {
            void* block = kalloc(size);
            if (block == nullptr)
                PANIC("heap benchmark: kalloc({}) failed", size);
            kfree(block);
        }
        uint64_t cycles = (arch::read_timestamp_counter() - start) / kPairs;
        uint64_t nanoseconds = tsc_cycles_per_ms == 0 ? 0 : cycles * 1000000 / tsc_cycles_per_ms;
        kernel::log(kernel::LogTag::Boot, "bench: kalloc+kfree {} bytes: {} cycles per pair ({} ns)", size,
            cycles, nanoseconds);
    }
}

} // namespace mm
