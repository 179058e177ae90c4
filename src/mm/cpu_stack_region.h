#pragma once

// Where the application processors' stacks live: PML4 slot 390, next to
// the heap (slots 384-386) and the paging tests' scratch page (slot 388).
// The higher half so far:
//   0xFFFF800000000000  direct map of physical memory (mm/direct_map.h)
//   0xFFFFC00000000000  heap page descriptors, then the heap arena at
//   0xFFFFC10000000000  (mm/kernel_heap.h)
//   0xFFFFC20000000000  the paging kernel tests' scratch page
//   0xFFFFC30000000000  CPU stacks (this file)
//   0xFFFFFFFF80000000  the kernel image (kernel/image_layout.h)
// CPU n owns the slot kCpuStackRegionBase + n * kCpuStackSlotBytes: from
// the bottom, each stack above a guard page that is never mapped, so an
// overflow faults on it instead of running into the next stack. Slot 0 is
// never used: the boot CPU's stacks are in the image.

#include <stddef.h>
#include <stdint.h>

#include "arch/page_size.h"

namespace mm {

inline constexpr uint64_t kCpuStackRegionBase = 0xFFFFC30000000000;
// As the boot CPU's (asm/boot64.asm).
inline constexpr size_t kCpuKernelStackBytes = size_t { 64 } * 1024;
inline constexpr size_t kCpuStackSlotBytes = size_t { 128 } * 1024;

} // namespace mm
