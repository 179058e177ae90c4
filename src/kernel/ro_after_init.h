#pragma once

// Data the boot writes once and nothing may change afterwards: the IDT, the
// GDT and TSS, the stack protector's guard. RO_AFTER_INIT puts a variable in
// .data.ro_after_init, pages of their own (linker/kernel.ld); once boot is
// complete seal_ro_after_init() maps them read-only, so a stray write (or an
// attacker's) faults and is reported instead of silently taking effect.

#include <stddef.h>

#define RO_AFTER_INIT [[gnu::section(".data.ro_after_init")]]

namespace kernel {

// Returns the number of pages sealed.
size_t seal_ro_after_init();

} // namespace kernel
