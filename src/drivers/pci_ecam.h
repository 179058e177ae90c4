#pragma once

// ECAM, PCI Express's enhanced configuration access mechanism (PCIe Base
// 4.0, 7.2.2): every function's 4 KiB of configuration space, extended
// capabilities included, in memory at base + (bus << 20 | device << 15 |
// function << 12), where the MCFG says. Segment 0 only.
//
// The window is device memory: each bus's 1 MiB is mapped uncached and
// no-execute at arch::kEcamWindowBase + (bus << 20) (arch/paging.h), the
// first time the enumeration asks to reach that bus, so a machine with one
// bus maps 1 MiB of the 256 its MCFG may describe.

#include <stddef.h>
#include <stdint.h>

#include "acpi/mcfg.h"
#include "drivers/pci_config_space.h"

namespace drivers::pci {

class EcamConfigAccess final : public ConfigAccess {
public:
    constexpr EcamConfigAccess() = default;

    // From segment 0's MCFG entry; maps nothing yet.
    void configure(const acpi::McfgEntry& entry);
    // Unmaps every bus mapped (the kernel gives up on this window).
    void unmap_all();

    const acpi::McfgEntry& entry() const { return m_entry; }
    size_t buses_mapped() const { return m_buses_mapped; }

    uint32_t read32(PciAddress function, uint16_t offset) override;
    void write32(PciAddress function, uint16_t offset, uint32_t value) override;
    uint16_t config_space_size() const override { return kExtendedConfigSpaceSize; }
    // Within the entry's buses, and mapped now if it was not (false when no
    // frame is left for a page table).
    bool reaches_bus(uint8_t bus) override;

private:
    volatile uint32_t* dword(PciAddress function, uint16_t offset) const;

    acpi::McfgEntry m_entry {};
    bool m_mapped[kBusCount] = {};
    size_t m_buses_mapped = 0;
};

} // namespace drivers::pci
