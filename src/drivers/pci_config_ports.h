#pragma once

// PCI configuration mechanism 1 (PCI Local Bus Specification 3.0,
// 3.2.2.3.2): a function's dword is selected by a write to CONFIG_ADDRESS
// (port 0xCF8) and moved through CONFIG_DATA (0xCFC). Every PC chipset
// has it; it reaches the 256 conventional bytes of every bus's functions.

#include <stdint.h>

#include "drivers/pci_config_space.h"

namespace drivers::pci {

inline constexpr uint16_t kConfigAddressPort = 0xCF8;
inline constexpr uint16_t kConfigDataPort = 0xCFC;

class PortConfigAccess final : public ConfigAccess {
public:
    // Whether a host bridge decodes the ports as mechanism 1: CONFIG_ADDRESS
    // keeps a value written to it (Linux's pci_check_type1 test), which
    // nothing else at 0xCF8 does. Restores what was there.
    static bool present();

    uint32_t read32(PciAddress function, uint16_t offset) override;
    void write32(PciAddress function, uint16_t offset, uint32_t value) override;
    uint16_t config_space_size() const override { return kConfigSpaceSize; }
    bool reaches_bus(uint8_t) override { return true; }
};

} // namespace drivers::pci
