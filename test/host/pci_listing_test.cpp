// The [PCI] lines, byte for byte, for functions built here: what a
// person reads in the boot log and at the console, and what the boot
// tests parse.

#include "drivers/pci_listing.h"
#include "drivers/pci_names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace drivers::pci;

class Lines final : public LineSink {
public:
    void line(lib::StringView text) override { lines.emplace_back(text.data(), text.size()); }
    std::vector<std::string> lines;
};

std::vector<std::string> listing(const PciFunction& function)
{
    Lines lines;
    list_function(function, lines);
    return lines.lines;
}

constexpr uint16_t kIoAndMemory = 0x0007;

Capability capability(uint16_t id, uint16_t offset, uint16_t control = 0)
{
    return Capability { id, offset, 0, control, 0, 0 };
}

// A function with its address, IDs and class (class, subclass, interface).
PciFunction function_at(PciAddress address, uint16_t vendor, uint16_t device, uint32_t class_triple)
{
    PciFunction function {};
    function.address = address;
    function.vendor_id = vendor;
    function.device_id = device;
    function.class_code = static_cast<uint8_t>(class_triple >> 16);
    function.subclass = static_cast<uint8_t>(class_triple >> 8);
    function.programming_interface = static_cast<uint8_t>(class_triple);
    function.command = kIoAndMemory;
    return function;
}

// QEMU q35's AHCI controller, as the kernel reads it.
PciFunction ahci()
{
    PciFunction function = function_at({ 0x00, 0x1F, 2 }, 0x8086, 0x2922, 0x010601);
    function.revision = 0x02;
    function.subsystem_vendor_id = 0x1AF4;
    function.subsystem_id = 0x1100;
    function.interrupt_line = 10;
    function.interrupt_pin = 1;
    function.bars.bars[0] = { 4, BarKind::Io, false, false, 0xC0A0, 0x20 };
    function.bars.bars[1] = { 5, BarKind::Memory32, false, false, 0xFEBF5000, 0x1000 };
    function.bars.count = 2;
    function.capabilities.items[0] = capability(0x05, 0x80, 0x0080);
    function.capabilities.items[1] = capability(0x12, 0xA8);
    function.capabilities.count = 2;
    return function;
}

TEST(PciListing, ADeviceItsBarsAndItsCapabilities)
{
    EXPECT_EQ(listing(ahci()),
        (std::vector<std::string> {
            "00:1f.2 8086:2922 class 01.06.01 (SATA AHCI) Intel, rev 02, subsystem 1af4:1100, IRQ 10 pin A",
            "  BAR4 I/O at 0xc0a0, size 0x20",
            "  BAR5 32-bit memory at 0xfebf5000, size 0x1000",
            "  capabilities: MSI (64-bit, 1 vector, off) at 0x80, SATA configuration at 0xa8",
        }));
}

TEST(PciListing, ABridgeWithItsBusesAndWindows)
{
    PciFunction bridge = function_at({ 0, 4, 0 }, 0x1B36, 0x0001, 0x060400);
    bridge.header_type = 0x01;
    bridge.interrupt_line = 11;
    bridge.interrupt_pin = 1;
    bridge.bridge = { 0, 1, 1, { 0xC000, 0xCFFF }, { 0xFE800000, 0xFE9FFFFF }, { 0xFE000000, 0xFE1FFFFF },
        BridgeProblem::None };
    bridge.bars.bars[0] = { 0, BarKind::Memory64, false, false, 0xFEA71000, 0x100 };
    bridge.bars.count = 1;
    bridge.capabilities.items[0] = capability(0x04, 0x4C, 0x0001);
    bridge.capabilities.items[1] = capability(0x05, 0x48, 0x0080);
    bridge.capabilities.count = 2;
    EXPECT_EQ(listing(bridge),
        (std::vector<std::string> {
            "00:04.0 1b36:0001 class 06.04.00 (PCI-to-PCI bridge) Red Hat (QEMU), rev 00, PCI-to-PCI bridge "
            "header, IRQ 11 pin A",
            "  bridge: primary bus 00, secondary bus 01, subordinate bus 01, I/O 0xc000-0xcfff, memory "
            "0xfe800000-0xfe9fffff, prefetchable 0xfe000000-0xfe1fffff",
            "  BAR0 64-bit memory at 0xfea71000, size 0x100",
            "  capabilities: slot identification at 0x4c, MSI (64-bit, 1 vector, off) at 0x48",
        }));

    bridge.bridge
        = { 0, 0, 0, { 0xF000, 0x0FFF }, { 0xFFF00000, 0x000FFFFF }, { 1, 0 }, BridgeProblem::NotNumbered };
    EXPECT_EQ(listing(bridge)[1],
        "  bridge: primary bus 00, secondary bus 00, subordinate bus 00, I/O none, memory none, prefetchable "
        "none; not followed: secondary bus 0: the firmware left the bridge unnumbered");
}

TEST(PciListing, BarsTheFunctionDoesNotAnswerSayWhy)
{
    PciFunction vga = function_at({ 0, 2, 0 }, 0x1234, 0x1111, 0x030000);
    vga.command = 0x0001; // I/O on, memory off
    vga.bars.bars[0] = { 0, BarKind::Memory32, true, false, 0xFD000000, 0x1000000 };
    vga.bars.bars[1] = { 2, BarKind::Memory32, false, false, 0, 0x1000 };
    vga.bars.bars[2] = { 3, BarKind::Io, false, false, 0xC100, 0x10 };
    vga.bars.bars[3] = { kRomSlot, BarKind::Rom, false, false, 0, 0x10000 };
    vga.bars.count = 4;
    std::vector<std::string> lines = listing(vga);
    ASSERT_EQ(lines.size(), 6u);
    EXPECT_EQ(
        lines[0], "00:02.0 1234:1111 class 03.00.00 (VGA) QEMU (Bochs display), rev 00, subsystem 0000:0000");
    EXPECT_EQ(lines[1],
        "  BAR0 32-bit prefetchable memory at 0xfd000000, size 0x1000000, not decoded: memory "
        "space off");
    EXPECT_EQ(lines[2], "  BAR2 32-bit memory unassigned, size 0x1000");
    EXPECT_EQ(lines[3], "  BAR3 I/O at 0xc100, size 0x10");
    EXPECT_EQ(lines[4], "  ROM unassigned, size 0x10000");
    EXPECT_EQ(lines[5], "  capabilities: none");

    vga.command = kIoAndMemory;
    vga.bars.bars[3].address = 0xFEB40000;
    EXPECT_EQ(listing(vga)[4], "  ROM at 0xfeb40000, size 0x10000, disabled");
    vga.bars.bars[3].rom_enabled = true;
    EXPECT_EQ(listing(vga)[4], "  ROM at 0xfeb40000, size 0x10000");
    vga.command = 0;
    EXPECT_EQ(listing(vga)[3], "  BAR3 I/O at 0xc100, size 0x10, not decoded: I/O space off");
}

TEST(PciListing, EachCapabilityKindAndTheProblemsOfBothLists)
{
    PciFunction nic = ahci();
    nic.capabilities.items[0] = capability(0x01, 0xC8, 0x0003);
    nic.capabilities.items[1] = capability(0x05, 0xD0, 0x0087);
    nic.capabilities.items[2] = capability(0x10, 0xE0, 0x0042);
    nic.capabilities.items[3] = Capability { 0x11, 0xA0, 0, 0x8004, 0x2003, 0x3003 };
    nic.capabilities.items[4] = capability(0x09, 0x40, 0x0014);
    nic.capabilities.items[5] = capability(0x42, 0x50);
    nic.capabilities.items[6] = capability(0x10, 0x60, 0x00F2);
    nic.capabilities.count = 7;
    nic.capabilities.problem = CapabilityProblem::Loops;
    nic.capabilities.pointer = 0xC8;
    nic.capabilities.pointer_at = 0x61;
    nic.extended_capabilities.items[0] = Capability { 0x0001, 0x100, 2, 0, 0, 0 };
    nic.extended_capabilities.items[1] = Capability { 0x0042, 0x148, 1, 0, 0, 0 };
    nic.extended_capabilities.count = 2;
    nic.extended_capabilities.problem = CapabilityProblem::Misaligned;
    nic.extended_capabilities.pointer = 0x182;
    nic.extended_capabilities.pointer_at = 0x148;
    std::vector<std::string> lines = listing(nic);
    ASSERT_EQ(lines.size(), 7u);
    EXPECT_EQ(lines[3],
        "  capabilities: power management v3 at 0xc8, MSI (64-bit, 8 vectors, on) at 0xd0, PCI Express v2 "
        "root "
        "port at 0xe0, MSI-X (5 vectors, table BAR3+0x2000, PBA BAR3+0x3000, on) at 0xa0, vendor-specific "
        "(20 "
        "bytes) at 0x40, capability 0x42 at 0x50, PCI Express v2 port type 0xf at 0x60");
    EXPECT_EQ(lines[4],
        "  warning: capability list: pointer 0xc8 at 0x61 points back to a capability already listed: the "
        "list loops; walk stopped after 7 capabilities");
    EXPECT_EQ(lines[5],
        "  extended capabilities: advanced error reporting v2 at 0x100, extended capability 0x0042 v1 at "
        "0x148");
    EXPECT_EQ(lines[6],
        "  warning: extended capability list: next 0x182 in the header at 0x148 is not a multiple of 4; walk "
        "stopped after 2 capabilities");
}

TEST(PciListing, ALineTooLongToKeepEndsInAnEllipsis)
{
    PciFunction many = ahci();
    for (size_t i = 0; i < CapabilityList::kMaxCapabilities; ++i)
        many.capabilities.items[i]
            = Capability { 0x11, static_cast<uint16_t>(0x40 + 8 * i), 0, 0x07FF, 0xFFFFFFF5, 0xFFFFFFF5 };
    many.capabilities.count = CapabilityList::kMaxCapabilities;
    std::string line = listing(many)[3];
    EXPECT_EQ(line.size(), 767u);
    EXPECT_EQ(line.substr(line.size() - 4), " ...");
    EXPECT_EQ(line.substr(0, 60), "  capabilities: MSI-X (2048 vectors, table BAR5+0xfffffff0, ");
}

TEST(PciListing, NamesFallBackFromTheInterfaceToTheClass)
{
    EXPECT_STREQ(class_name(0x01, 0x06, 0x01), "SATA AHCI");
    EXPECT_STREQ(class_name(0x01, 0x06, 0x00), "SATA");
    EXPECT_STREQ(class_name(0x01, 0x7F, 0x00), "mass storage");
    EXPECT_STREQ(class_name(0x14, 0x00, 0x00), "unknown class");
    EXPECT_STREQ(class_name(0x0C, 0x03, 0x30), "USB xHCI");
    EXPECT_STREQ(vendor_name(0x1AF4), "Red Hat (virtio)");
    EXPECT_EQ(vendor_name(0x4321), nullptr);
    EXPECT_STREQ(extended_capability_name(0x0003), "device serial number");
    PciFunction unknown = ahci();
    unknown.vendor_id = 0x4321;
    unknown.header_type = 0x80;
    EXPECT_EQ(listing(unknown)[0],
        "00:1f.2 4321:2922 class 01.06.01 (SATA AHCI) (unknown vendor), rev 02, multi-function, subsystem "
        "1af4:1100, IRQ 10 pin A");
}

} // namespace
