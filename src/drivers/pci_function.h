#pragma once

// Everything the kernel reads about one PCI function, as a plain record:
// its IDs and class, its BARs sized, its capabilities, and for a bridge
// the buses and address windows behind it. read_function fills one
// through a ConfigAccess. Pure.

#include <stdint.h>

#include "drivers/pci_bars.h"
#include "drivers/pci_capabilities.h"
#include "drivers/pci_config_space.h"

namespace drivers::pci {

// A bridge's window: the addresses it forwards to its secondary bus,
// base..limit inclusive; closed when base > limit.
struct BridgeWindow {
    uint64_t base;
    uint64_t limit;

    constexpr bool open() const { return base <= limit; }
};

// Why a bridge's secondary bus was not scanned.
enum class BridgeProblem : uint8_t {
    None,
    NotNumbered, // secondary bus 0: the firmware left the bridge unconfigured
    AlreadyScanned, // its secondary bus was reached before: a loop, or two bridges claim it
    OutOfReach, // the configuration access does not reach the bus (outside ECAM's range)
};
const char* describe(BridgeProblem problem);

struct BridgeInfo {
    uint8_t primary_bus;
    uint8_t secondary_bus;
    uint8_t subordinate_bus;
    // PCI-to-PCI bridges only (PCI-to-PCI Bridge 1.2, 3.2.5.6-3.2.5.9).
    BridgeWindow io;
    BridgeWindow memory;
    BridgeWindow prefetchable;
    BridgeProblem problem; // set by the enumeration
};

struct PciFunction {
    PciAddress address;
    uint16_t vendor_id;
    uint16_t device_id;
    uint8_t revision;
    uint8_t programming_interface;
    uint8_t subclass;
    uint8_t class_code;
    uint8_t header_type; // raw: a HeaderType
    uint16_t command; // as found (and as left: sizing restores it)
    // Devices (layout 0) only; 0 elsewhere.
    uint16_t subsystem_vendor_id;
    uint16_t subsystem_id;
    // Layouts 0 and 1: the line the firmware routed (0xFF unknown) and the
    // pin the function uses (1-4 for INTA#-INTD#, 0 none).
    uint8_t interrupt_line;
    uint8_t interrupt_pin;
    BarList bars;
    BridgeInfo bridge; // layouts 1 and 2
    CapabilityList capabilities;
    CapabilityList extended_capabilities;

    HeaderLayout layout() const { return static_cast<HeaderLayout>(HeaderType(header_type).layout()); }
    bool is_bridge() const
    {
        return layout() == HeaderLayout::PciBridge || layout() == HeaderLayout::CardBusBridge;
    }
};

// What sizing does to this function's decoding: host bridges keep theirs
// (pci_bars.h says why), every other function has it off meanwhile.
WhileSizing decoding_while_sizing(const PciFunction& function);

// Reads the function at address, one that answers (its vendor ID is not
// kNoVendor): its header, its BARs (sized; see pci_bars.h), its capability
// lists, and its bridge registers if it is one.
PciFunction read_function(ConfigAccess& access, PciAddress address);

} // namespace drivers::pci
