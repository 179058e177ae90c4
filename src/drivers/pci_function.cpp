#include "drivers/pci_function.h"

namespace drivers::pci {
namespace {

constexpr uint8_t kHostBridgeClass = 0x06;
constexpr uint8_t kHostBridgeSubclass = 0x00;
// A bridge's window registers say in their low 4 bits how wide the
// addresses are (PCI-to-PCI Bridge 1.2, 3.2.5.6 and 3.2.5.9): 1 means the
// upper-half registers extend them (32-bit I/O, 64-bit prefetchable).
constexpr uint32_t kWideWindow = 1;
constexpr uint32_t kIoWindowGranule = 0xFFF; // 4 KiB
constexpr uint32_t kMemoryWindowGranule = 0xFFFFF; // 1 MiB

BridgeWindow io_window(ConfigAccess& access, PciAddress bridge)
{
    uint8_t base = read8(access, bridge, offset::kIoBase);
    uint8_t limit = read8(access, bridge, static_cast<uint16_t>(offset::kIoBase + 1));
    uint32_t upper = access.read32(bridge, offset::kIoUpper);
    uint64_t window_base = static_cast<uint64_t>(base & 0xF0u) << 8;
    uint64_t window_limit = static_cast<uint64_t>(limit & 0xF0u) << 8 | kIoWindowGranule;
    if ((base & 0x0Fu) == kWideWindow)
        window_base |= static_cast<uint64_t>(upper & 0xFFFFu) << 16;
    if ((limit & 0x0Fu) == kWideWindow)
        window_limit |= static_cast<uint64_t>(upper >> 16) << 16;
    return { window_base, window_limit };
}

// The memory and prefetchable windows: bits 15:4 of each register are
// address bits 31:20.
BridgeWindow memory_window(
    ConfigAccess& access, PciAddress bridge, uint16_t reg, uint16_t upper_base, uint16_t upper_limit)
{
    uint32_t registers = access.read32(bridge, reg);
    auto base = static_cast<uint16_t>(registers);
    auto limit = static_cast<uint16_t>(registers >> 16);
    uint64_t window_base = static_cast<uint64_t>(base & 0xFFF0u) << 16;
    uint64_t window_limit = static_cast<uint64_t>(limit & 0xFFF0u) << 16 | kMemoryWindowGranule;
    if (upper_base != 0 && (base & 0x0Fu) == kWideWindow)
        window_base |= static_cast<uint64_t>(access.read32(bridge, upper_base)) << 32;
    if (upper_limit != 0 && (limit & 0x0Fu) == kWideWindow)
        window_limit |= static_cast<uint64_t>(access.read32(bridge, upper_limit)) << 32;
    return { window_base, window_limit };
}

BridgeInfo read_bridge(ConfigAccess& access, PciAddress bridge, HeaderLayout layout)
{
    constexpr BridgeWindow kClosed { 1, 0 };
    BridgeInfo info { read8(access, bridge, offset::kPrimaryBus),
        read8(access, bridge, offset::kSecondaryBus), read8(access, bridge, offset::kSubordinateBus), kClosed,
        kClosed, kClosed, BridgeProblem::None };
    if (layout == HeaderLayout::PciBridge) {
        info.io = io_window(access, bridge);
        info.memory = memory_window(access, bridge, offset::kMemoryBase, 0, 0);
        info.prefetchable = memory_window(access, bridge, offset::kPrefetchableBase,
            offset::kPrefetchableBaseUpper, offset::kPrefetchableLimitUpper);
    }
    return info;
}

bool known_layout(HeaderLayout layout)
{
    return layout == HeaderLayout::Device || layout == HeaderLayout::PciBridge
        || layout == HeaderLayout::CardBusBridge;
}

} // namespace

const char* describe(BridgeProblem problem)
{
    switch (problem) {
    case BridgeProblem::None:
        return "no problem";
    case BridgeProblem::NotNumbered:
        return "secondary bus 0: the firmware left the bridge unnumbered";
    case BridgeProblem::AlreadyScanned:
        return "its secondary bus was scanned already (a loop, or two bridges claim it)";
    case BridgeProblem::OutOfReach:
        return "its secondary bus is beyond the configuration access's reach";
    }
    return "unknown problem";
}

WhileSizing decoding_while_sizing(const PciFunction& function)
{
    bool host_bridge = function.class_code == kHostBridgeClass && function.subclass == kHostBridgeSubclass;
    return host_bridge ? WhileSizing::DecodingKept : WhileSizing::DecodingOff;
}

PciFunction read_function(ConfigAccess& access, PciAddress address)
{
    PciFunction function {};
    function.address = address;
    uint32_t ids = access.read32(address, offset::kVendorId);
    function.vendor_id = static_cast<uint16_t>(ids);
    function.device_id = static_cast<uint16_t>(ids >> 16);
    uint32_t class_register = access.read32(address, offset::kRevision);
    function.revision = static_cast<uint8_t>(class_register);
    function.programming_interface = static_cast<uint8_t>(class_register >> 8);
    function.subclass = static_cast<uint8_t>(class_register >> 16);
    function.class_code = static_cast<uint8_t>(class_register >> 24);
    function.header_type = read8(access, address, offset::kHeaderType);
    function.command = read16(access, address, offset::kCommand);

    HeaderLayout layout = function.layout();
    if (!known_layout(layout))
        return function; // nothing past 0x0F has a meaning the kernel knows
    if (layout == HeaderLayout::Device) {
        function.subsystem_vendor_id = read16(access, address, offset::kSubsystemVendorId);
        function.subsystem_id = read16(access, address, offset::kSubsystemId);
    }
    if (layout == HeaderLayout::Device || layout == HeaderLayout::PciBridge) {
        function.interrupt_line = read8(access, address, offset::kInterruptLine);
        function.interrupt_pin = read8(access, address, offset::kInterruptPin);
    }
    bool host_bridge = function.class_code == kHostBridgeClass && function.subclass == kHostBridgeSubclass;
    function.bars = size_bars(
        access, address, layout, host_bridge ? WhileSizing::DecodingKept : WhileSizing::DecodingOff);
    if (function.is_bridge())
        function.bridge = read_bridge(access, address, layout);
    function.capabilities = walk_capabilities(access, address,
        layout == HeaderLayout::CardBusBridge ? offset::kCardBusCapabilitiesPointer
                                              : offset::kCapabilitiesPointer);
    // Only PCI Express functions have extended space (PCIe Base 4.0, 7.2.2);
    // a conventional one behind ECAM reads there as all ones or mirrors.
    if (has_capability(function.capabilities, CapabilityId::PciExpress))
        function.extended_capabilities = walk_extended_capabilities(access, address);
    return function;
}

} // namespace drivers::pci
