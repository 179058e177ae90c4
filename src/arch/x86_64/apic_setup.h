#pragma once

// Chooses the interrupt controllers: the local APIC (x2APIC when the CPU
// offers it, else xAPIC) unless the CPU has none or the boot word `noapic`
// says no; otherwise the 8259 PICs and the PIT, one CPU. One [APIC] line
// says which, and why.

#include "kernel/boot_options.h"

namespace arch {

// Returns whether the local APIC is in use.
bool start_apic(const kernel::BootOptions& options);

} // namespace arch
