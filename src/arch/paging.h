#pragma once

// Early page protections, before the memory manager builds the kernel's own
// page tables (the memory issue): the kernel image mapped by section with
// its rights, guard pages below every stack, and the null page unmapped.

#include <stddef.h>

namespace arch {

struct KernelProtections {
    size_t text_pages; // read + execute
    size_t rodata_pages; // read-only, no-execute
    size_t data_pages; // read + write, no-execute
    size_t guard_pages; // unmapped
    bool no_execute; // false when the CPU has no NX: data stays executable
    bool null_page_unmapped;
};

KernelProtections protect_kernel_image(bool cpu_has_nx);

} // namespace arch
