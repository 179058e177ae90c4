#pragma once

// The PCI subsystem: which configuration mechanism to use (ECAM where the
// MCFG gives a window that agrees with mechanism 1, else mechanism 1),
// every function enumerated once at boot (pci_enumeration.h) and kept, a
// [PCI] listing and a summary line in the log, and the same listing for
// the console's `pci`.

#include <stddef.h>

#include "acpi/mcfg.h"
#include "drivers/pci_config_space.h"
#include "drivers/pci_function.h"

namespace drivers {

enum class PciMechanism : uint8_t {
    None,
    Ports, // configuration mechanism 1
    Ecam,
};

// How the kernel may reach configuration space: the MCFG's ECAM windows
// (nullptr when there is none), and why not when there is none or ECAM is
// not to be used ("no MCFG table", "boot word noecam", ...).
struct PciConfigChoice {
    const acpi::Mcfg* mcfg;
    const char* no_ecam_reason;
};

// Once, at boot, on the boot CPU before the others start (sizing BARs
// turns a function's decoding off for a moment: nothing may use the
// devices meanwhile). Logs each function, then the summary.
void init_pci(const PciConfigChoice& choice);

// What init_pci found, in bus, device, function order; read-only after it.
struct PciInventory {
    const pci::PciFunction* functions;
    size_t count;
    PciMechanism mechanism;
};
PciInventory pci_inventory();

// The configuration access init_pci chose (nullptr without one), and
// mechanism 1 when the machine has it (nullptr otherwise): kernel tests
// compare the two.
pci::ConfigAccess* pci_config_access();
pci::ConfigAccess* pci_port_access();

// The console's `pci`: the log's lines, without the tag.
void print_pci_functions();

} // namespace drivers
