#pragma once

// The AP trampoline (asm/ap_trampoline.asm) as the boot CPU sees it: the
// code's bounds in the kernel image and its parameter block.

#include <stddef.h>
#include <stdint.h>

namespace arch {

// Filled in by the boot CPU before each Startup IPI; the layout of the
// block at ap_trampoline_parameters (asm/ap_trampoline.asm), field by field.
struct ApTrampolineParameters {
    uint64_t cr3; // the kernel's PML4; loaded in 32-bit mode, so below 4 GiB
    uint64_t cr4; // the boot CPU's (PAE is added)
    uint64_t efer; // the boot CPU's (LME is added): NXE before the tables
    uint64_t stack_top;
    uint64_t per_cpu; // ap_entry's argument
    uint64_t entry; // ap_entry
    uint32_t started; // set to 1 by the AP in real mode, first thing
    uint32_t reserved;
};
static_assert(sizeof(ApTrampolineParameters) == 56);

} // namespace arch

// The code's bounds in the kernel image (it runs only after the copy):
// NASM's symbols, which nothing initializes (as in kernel/image_layout.h).
// NOLINTBEGIN(bugprone-dynamic-static-initializers)
extern "C" {
extern const uint8_t ap_trampoline_start[], ap_trampoline_end[], ap_trampoline_parameters[];
}
// NOLINTEND(bugprone-dynamic-static-initializers)
