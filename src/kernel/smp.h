#pragma once

// Starting every CPU the MADT calls enabled (issue 13), one at a time, and
// the "[SMP] N of M CPUs online" line. Needs the MADT (kernel/acpi_setup.h),
// the boot CPU's local APIC, the TSC's rate (kernel/clock_setup.h) and the
// frame allocator. A CPU that never answers is named and left out; the boot
// goes on.

#include "boot/boot_info.h"

namespace kernel {

void start_application_processors(const boot::BootInfo& info);

} // namespace kernel
