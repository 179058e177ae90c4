// Kernel tests of PCI configuration access on the machine booted: what
// only the real (emulated) chipset can answer.

#include "drivers/pci.h"
#include "drivers/pci_bars.h"
#include "ktest/ktest.h"

namespace drivers {
namespace {

// The header's dwords that nothing changes at rest: all but the command
// and status dword, whose status bits a device may set at any time.
constexpr uint16_t kStableHeaderDwords[]
    = { 0x00, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x24, 0x28, 0x2C, 0x30, 0x34, 0x38, 0x3C };

} // namespace

// Two ways into one configuration space: a wrong bit in ECAM's address
// arithmetic (a device or function shifted by one) reads another
// function's header, or all ones. Explicit: it means something only where
// the boot chose ECAM (q35), and test/test_pci.py runs it there.
KTEST_EXPLICIT(pci_ecam, ecam_and_mechanism_1_read_the_same_header_of_every_function, 0)
{
    PciInventory inventory = pci_inventory();
    if (inventory.mechanism != PciMechanism::Ecam)
        KSKIP("PCI goes through mechanism 1 on this machine: no ECAM to compare it with");
    pci::ConfigAccess* ports = pci_port_access();
    pci::ConfigAccess* ecam = pci_config_access();
    KASSERT_TRUE(ports != nullptr);
    KASSERT_TRUE(inventory.count > 0);
    for (size_t i = 0; i < inventory.count; ++i) {
        pci::PciAddress at = inventory.functions[i].address;
        for (uint16_t offset : kStableHeaderDwords)
            KEXPECT_EQ(ecam->read32(at, offset), ports->read32(at, offset));
    }
}

// Sizing again, on the live devices, finds the BARs the boot found and
// leaves the header and the command register as they were: the restore
// works on this chipset, not only on the host tests' model of one.
KTEST(pci, sizing_the_bars_again_finds_the_same_and_changes_no_register)
{
    PciInventory inventory = pci_inventory();
    pci::ConfigAccess* access = pci_config_access();
    if (access == nullptr)
        KSKIP("no PCI configuration mechanism on this machine");
    KASSERT_TRUE(inventory.count > 0);
    for (size_t i = 0; i < inventory.count; ++i) {
        const pci::PciFunction& function = inventory.functions[i];
        uint32_t before[sizeof(kStableHeaderDwords) / sizeof(kStableHeaderDwords[0])];
        for (size_t d = 0; d < sizeof(before) / sizeof(before[0]); ++d)
            before[d] = access->read32(function.address, kStableHeaderDwords[d]);
        uint16_t command = pci::read16(*access, function.address, pci::offset::kCommand);

        pci::BarList again = pci::size_bars(
            *access, function.address, function.layout(), pci::decoding_while_sizing(function));

        KEXPECT_EQ(pci::read16(*access, function.address, pci::offset::kCommand), command);
        KEXPECT_EQ(command, function.command);
        for (size_t d = 0; d < sizeof(before) / sizeof(before[0]); ++d)
            KEXPECT_EQ(access->read32(function.address, kStableHeaderDwords[d]), before[d]);
        KASSERT_EQ(again.count, function.bars.count);
        for (size_t b = 0; b < again.count; ++b) {
            const pci::Bar& now = again.bars[b];
            const pci::Bar& booted = function.bars.bars[b];
            KEXPECT_EQ(now.slot, booted.slot);
            KEXPECT_EQ(static_cast<uint8_t>(now.kind), static_cast<uint8_t>(booted.kind));
            KEXPECT_EQ(now.address, booted.address);
            KEXPECT_EQ(now.size, booted.size);
        }
    }
}

} // namespace drivers
