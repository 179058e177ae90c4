#pragma once

// A function's capability lists: the conventional one, a chain of
// (ID, next) headers from the pointer at 0x34 (PCI Local Bus Specification
// 3.0, 6.7), and PCI Express's extended one from 0x100 (PCIe Base 4.0,
// 7.6.3: 16-bit ID, version, 12-bit next). Pure: walked over a
// ConfigAccess, so a host test can feed it a list that lies.
//
// The lists are the device's own data structure, and a broken device (or a
// broken emulation) can make one loop, point back into the header, point
// at a misaligned offset or put a structure past the end of configuration
// space. Each of those stops the walk with the problem named, and the
// capabilities found before it are kept: never a hang, never a read past
// the space.

#include <stddef.h>
#include <stdint.h>

#include "drivers/pci_config_space.h"

namespace drivers::pci {

// Conventional capability IDs the listing decodes (PCI Code and ID
// Assignment Specification 1.11, 2).
enum class CapabilityId : uint8_t {
    PowerManagement = 0x01,
    Msi = 0x05,
    VendorSpecific = 0x09,
    PciExpress = 0x10,
    MsiX = 0x11,
};

// MSI's message control (PCI 3.0 6.8.1.3).
struct MsiControl : arch::RegisterBits<MsiControl, uint16_t> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(enabled, 0)
    REGISTER_FIELD(vectors_capable_log2, 1, 3) // Multiple Message Capable: 2^n vectors
    REGISTER_BIT(address_64_bits, 7)
    REGISTER_BIT(per_vector_masking, 8)
};

// MSI-X's message control (PCI 3.0 6.8.2.3).
struct MsiXControl : arch::RegisterBits<MsiXControl, uint16_t> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(table_size_minus_one, 0, 11)
    REGISTER_BIT(function_masked, 14)
    REGISTER_BIT(enabled, 15)
};

// The PCI Express Capabilities register (PCIe Base 4.0, 7.5.3.2).
struct PciExpressCapabilities : arch::RegisterBits<PciExpressCapabilities, uint16_t> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(version, 0, 4)
    REGISTER_FIELD(port_type, 4, 4) // Device/Port Type
};

// Power management's capabilities register, PMC (PCI Bus Power Management
// Interface 1.2, 3.2.3).
struct PowerManagementCapabilities : arch::RegisterBits<PowerManagementCapabilities, uint16_t> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(version, 0, 3) // 3: this specification, 1.2
};

struct Capability {
    uint16_t id; // 8 bits in the conventional list, 16 in the extended one
    uint16_t offset;
    uint8_t version; // extended capabilities: the header's version field
    // The 16 bits after the conventional header: MSI's and MSI-X's message
    // control, PCI Express's capabilities register, power management's PMC,
    // a vendor-specific capability's length (low byte).
    uint16_t control;
    uint32_t table; // MSI-X: table offset and BIR (PCI 3.0 6.8.2.4)
    uint32_t pending; // MSI-X: pending bit array offset and BIR (6.8.2.5)
};

enum class CapabilityProblem : uint8_t {
    None,
    PointsIntoHeader, // below 0x40 (extended: below 0x100, into the conventional space)
    Misaligned, // not a multiple of 4 (PCI 3.0 6.7: the low two bits are 00b)
    RunsPastEnd, // the structure pointed at ends past the configuration space
    Loops, // an offset the walk has been at already
    TooMany, // more than kMaxCapabilities: the rest not kept
};
// What the problem means, for a line that names the list and the pointer.
const char* describe(CapabilityProblem problem, bool extended_list);

struct CapabilityList {
    static constexpr size_t kMaxCapabilities = 12;
    Capability items[kMaxCapabilities];
    size_t count;
    CapabilityProblem problem;
    uint16_t pointer; // the offending pointer's value
    uint16_t pointer_at; // where it was read from
};

// The conventional list, when the status register says there is one; the
// pointer sits at pointer_offset (0x34, or 0x14 for a CardBus bridge).
CapabilityList walk_capabilities(ConfigAccess& access, PciAddress function, uint16_t pointer_offset);

// The extended list at 0x100, when the access reaches extended space: empty
// when the first header reads 0 (none) or all ones (no extended space: a
// conventional PCI function behind PCI Express).
CapabilityList walk_extended_capabilities(ConfigAccess& access, PciAddress function);

// Whether the list holds a capability with this ID.
bool has_capability(const CapabilityList& list, CapabilityId id);

// The MSI-X table's and pending bit array's BAR and offset (6.8.2.4).
constexpr uint8_t msix_bar(uint32_t offset_and_bir)
{
    return static_cast<uint8_t>(offset_and_bir & 7u);
}
constexpr uint32_t msix_offset(uint32_t offset_and_bir)
{
    return offset_and_bir & ~7u;
}

} // namespace drivers::pci
