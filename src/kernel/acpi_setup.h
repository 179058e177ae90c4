#pragma once

// Finds the ACPI tables (the loader's RSDP copy, else the BIOS areas),
// prints one [ACPI] line per table, starts the ACPI PM timer driver when
// the FADT names one, and keeps what the MADT, the HPET table, the MCFG and
// the FADT's reset register say for the rest of the kernel. Needs the kernel's
// direct map.

#include "acpi/fadt.h"
#include "acpi/hpet.h"
#include "acpi/madt.h"
#include "acpi/mcfg.h"
#include "boot/boot_info.h"

namespace kernel {

void discover_acpi(const boot::BootInfo& info);

// The MADT as read and checked against the memory map (I/O APIC sizes not
// yet known: acpi::check_madt with io_apic_entry_counts = nullptr), or
// nullptr when there is none or it was rejected: then the machine is
// treated as one CPU (the one booting) and no I/O APIC.
const acpi::Madt* platform_madt();
// Checks the MADT again once the I/O APICs' redirection entry counts are
// read (entry_counts[i] for io_apics[i], 0 for one not mapped): overlapping
// GSI ranges, or an override for a GSI no I/O APIC serves, reject it by
// name ([ACPI] warning), and platform_madt() is nullptr from then on.
bool check_madt_against_io_apics(const uint32_t* io_apic_entry_counts);
// Where that MADT lies in physical memory (for messages), 0 without one.
uint64_t platform_madt_physical();
// The HPET table's contents, or nullptr when absent or rejected.
const acpi::Hpet* platform_hpet();
// The MCFG's ECAM windows, or nullptr: then why, for the PCI summary line
// ("no MCFG table", "the MCFG was rejected").
const acpi::Mcfg* platform_mcfg();
const char* platform_mcfg_absence();
// The FADT's reset register, or nullptr when there is none to use.
const acpi::ResetRegister* platform_reset_register();

} // namespace kernel
