#pragma once

// Finds the ACPI tables (the loader's RSDP copy, else the BIOS areas),
// prints one [ACPI] line per table, and starts the ACPI PM timer driver
// when the FADT names one. Needs the kernel's direct map.

#include "acpi/madt.h"
#include "boot/boot_info.h"

namespace kernel {

void discover_acpi(const boot::BootInfo& info);

// The MADT discover_acpi parsed and checked; nullptr when there is none.
const acpi::Madt* platform_madt();

} // namespace kernel
