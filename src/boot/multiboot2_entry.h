#pragma once

// The kernel's one way in to its boot information: the registers the
// trampoline passed on (EAX's magic, EBX's physical address) in, a
// validated BootInfo or the reason it cannot boot out.

#include <stdint.h>

#include "boot/boot_error.h"
#include "boot/boot_info.h"
#include "lib/result.h"

namespace boot {

// Checks the magic and that the structure lies in the early direct map,
// parses it (parse_multiboot2), records where it is, and checks where the
// loader put the modules (check_module_placement). kernel_image: the
// physical memory the loaded kernel occupies.
lib::Result<BootInfo, BootError> read_multiboot2(
    uint32_t magic, uint64_t physical_address, PhysicalRange kernel_image);

// GRUB loads modules into usable memory, clear of the kernel and of the
// structure describing them; a module anywhere else is a loader's error,
// and carving it out or using it would only hide that. The first misplaced
// module is the error.
lib::Result<void, BootError> check_module_placement(const BootInfo& info, PhysicalRange kernel_image);

} // namespace boot
