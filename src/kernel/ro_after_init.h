#pragma once

// Data the boot writes once and nothing may change afterwards: the IDT, the
// GDT and TSS, the stack protector's guard. These sit in pages of their own
// (linker/kernel.ld); once boot is complete seal_ro_after_init() maps them
// read-only, so a stray write (or an attacker's) faults and is reported
// instead of silently taking effect.
//
// RO_AFTER_INIT is for objects that start as zeros (the boot fills them in):
// .bss.ro_after_init, which takes no byte of the image GRUB reads. GCC
// refuses a nonzero initializer in a .bss section, so nothing lands there by
// mistake. RO_AFTER_INIT_INITIALIZED is for the few with a link-time value:
// .ro_after_init.data, stored in the image, just before the zero ones.

#include <stddef.h>

#define RO_AFTER_INIT [[gnu::section(".bss.ro_after_init")]]
#define RO_AFTER_INIT_INITIALIZED [[gnu::section(".ro_after_init.data")]]

namespace kernel {

// Returns the number of pages sealed.
size_t seal_ro_after_init();

} // namespace kernel
