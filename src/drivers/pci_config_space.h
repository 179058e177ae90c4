#pragma once

// A PCI function's configuration space: where each header field sits and
// what its bits mean (PCI Local Bus Specification 3.0, 6.1-6.2, Figure 6-1;
// PCI-to-PCI Bridge Architecture Specification 1.2, 3.2, Figure 3-2), and
// the one interface through which the rest reads and writes it. Pure: the
// kernel's implementations go through I/O ports or ECAM, the host tests'
// through a synthetic configuration space.

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/register_bits.h"

namespace drivers::pci {

// Bus, device (0-31) and function (0-7): where a function answers.
struct PciAddress {
    uint8_t bus;
    uint8_t device;
    uint8_t function;

    constexpr bool operator==(const PciAddress&) const = default;
    // The order lspci and QEMU list functions in.
    constexpr uint16_t ordinal() const { return static_cast<uint16_t>(bus << 8 | device << 3 | function); }
};

inline constexpr uint8_t kDevicesPerBus = 32;
inline constexpr uint8_t kFunctionsPerDevice = 8;
inline constexpr size_t kBusCount = 256;
// Conventional configuration space, and PCI Express's extended one (PCIe
// Base 4.0, 7.2.2: reachable through ECAM only).
inline constexpr uint16_t kConfigSpaceSize = 256;
inline constexpr uint16_t kExtendedConfigSpaceSize = 4096;

// Byte offsets of the header fields every layout shares (PCI 3.0 Figure 6-1).
namespace offset {
inline constexpr uint16_t kVendorId = 0x00;
inline constexpr uint16_t kDeviceId = 0x02;
inline constexpr uint16_t kCommand = 0x04;
inline constexpr uint16_t kStatus = 0x06;
inline constexpr uint16_t kRevision = 0x08;
inline constexpr uint16_t kProgrammingInterface = 0x09;
inline constexpr uint16_t kSubclass = 0x0A;
inline constexpr uint16_t kClassCode = 0x0B;
inline constexpr uint16_t kHeaderType = 0x0E;
inline constexpr uint16_t kFirstBar = 0x10; // BAR n at 0x10 + 4n
// Layout 0, a device (PCI 3.0 6.2.4, 6.2.5.2, 6.7).
inline constexpr uint16_t kSubsystemVendorId = 0x2C;
inline constexpr uint16_t kSubsystemId = 0x2E;
inline constexpr uint16_t kDeviceRom = 0x30;
inline constexpr uint16_t kCapabilitiesPointer = 0x34;
inline constexpr uint16_t kInterruptLine = 0x3C;
inline constexpr uint16_t kInterruptPin = 0x3D;
// Layout 1, a PCI-to-PCI bridge (PCI-to-PCI Bridge 1.2, 3.2.5).
inline constexpr uint16_t kPrimaryBus = 0x18;
inline constexpr uint16_t kSecondaryBus = 0x19;
inline constexpr uint16_t kSubordinateBus = 0x1A;
inline constexpr uint16_t kIoBase = 0x1C; // and I/O limit at 0x1D
inline constexpr uint16_t kMemoryBase = 0x20; // and memory limit at 0x22
inline constexpr uint16_t kPrefetchableBase = 0x24; // and prefetchable limit at 0x26
inline constexpr uint16_t kPrefetchableBaseUpper = 0x28;
inline constexpr uint16_t kPrefetchableLimitUpper = 0x2C;
inline constexpr uint16_t kIoUpper = 0x30; // base upper 16 bits, then limit upper 16 bits
inline constexpr uint16_t kBridgeRom = 0x38;
// Layout 2, a CardBus bridge (PC Card Standard 8.0, 4.5): its list pointer.
inline constexpr uint16_t kCardBusCapabilitiesPointer = 0x14;
// The end of every layout's header: capabilities live above it.
inline constexpr uint16_t kHeaderEnd = 0x40;
} // namespace offset

// Command register (PCI 3.0 6.2.2, Figure 6-2).
struct Command : arch::RegisterBits<Command, uint16_t> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(io_space, 0) // the function answers its I/O BARs
    REGISTER_BIT(memory_space, 1) // the function answers its memory BARs and ROM
    REGISTER_BIT(bus_master, 2)
    REGISTER_BIT(interrupt_disable, 10)
};

// Status register (PCI 3.0 6.2.3, Figure 6-3). Its error bits are
// write-one-to-clear: a write of the command register as a dword writes 0
// here, which leaves them as they are.
struct Status : arch::RegisterBits<Status, uint16_t> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(capabilities_list, 4) // the pointer at 0x34 (0x14 for CardBus) is valid
};

// Header type (PCI 3.0 6.2.1): the layout of bytes 0x10-0x3F and whether
// the device has functions other than 0.
enum class HeaderLayout : uint8_t {
    Device = 0,
    PciBridge = 1,
    CardBusBridge = 2,
};
struct HeaderType : arch::RegisterBits<HeaderType, uint8_t> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(layout, 0, 7) // a HeaderLayout
    REGISTER_BIT(multi_function, 7)
};

// A vendor ID no function has: what a read of an absent function returns
// (the host bridge ends the transaction with a master abort, all ones).
inline constexpr uint16_t kNoVendor = 0xFFFF;

// How configuration space is reached: mechanism 1's ports, or ECAM's
// memory window, or a test's synthetic space. Dword accesses only: every
// mechanism has them, and narrower fields are taken out of the dword.
class ConfigAccess {
public:
    // The dword at offset (a multiple of 4, below config_space_size()).
    virtual uint32_t read32(PciAddress function, uint16_t offset) = 0;
    virtual void write32(PciAddress function, uint16_t offset, uint32_t value) = 0;
    // kConfigSpaceSize, or kExtendedConfigSpaceSize where extended
    // capabilities can be read (ECAM).
    virtual uint16_t config_space_size() const = 0;
    // Whether this bus can be reached at all (ECAM: within the MCFG's bus
    // range, and its window mapped). Asked once before a bus is scanned.
    virtual bool reaches_bus(uint8_t bus) = 0;

protected:
    ~ConfigAccess() = default;
};

inline uint16_t read16(ConfigAccess& access, PciAddress function, uint16_t offset)
{
    uint32_t dword = access.read32(function, static_cast<uint16_t>(offset & ~3u));
    return static_cast<uint16_t>(dword >> ((offset & 2u) * 8));
}

inline uint8_t read8(ConfigAccess& access, PciAddress function, uint16_t offset)
{
    uint32_t dword = access.read32(function, static_cast<uint16_t>(offset & ~3u));
    return static_cast<uint8_t>(dword >> ((offset & 3u) * 8));
}

// Writes the command register alone: the dword write carries 0 into the
// status register's write-one-to-clear bits, which leaves them as they are.
inline void write_command(ConfigAccess& access, PciAddress function, Command command)
{
    access.write32(function, offset::kCommand, command.value());
}

} // namespace drivers::pci
