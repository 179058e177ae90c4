// The bus walk over a synthetic topology: every function of a multi-
// function device and none of a single-function one past function 0,
// buses behind bridges by their secondary bus numbers, and bridges that
// cannot be followed (unnumbered, a loop, out of the access's reach) named
// without a second scan; then a bridge's windows as the bridge
// specification and QEMU compute them.

#include "drivers/pci_enumeration.h"
#include "pci_fake_bus.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace drivers::pci;
using pci_test::FakeBus;
using pci_test::FakeFunction;

class Collected final : public FunctionSink {
public:
    explicit Collected(size_t capacity = 1000)
        : m_capacity(capacity)
    {
    }
    bool add(const PciFunction& function) override
    {
        if (functions.size() == m_capacity)
            return false;
        functions.push_back(function);
        return true;
    }

    std::vector<std::string> addresses() const
    {
        std::vector<std::string> text;
        for (const PciFunction& function : functions) {
            char buffer[16];
            std::snprintf(buffer, sizeof(buffer), "%02x:%02x.%x", function.address.bus,
                function.address.device, function.address.function);
            text.emplace_back(buffer);
        }
        return text;
    }

    const PciFunction& at(PciAddress address) const
    {
        for (const PciFunction& function : functions) {
            if (function.address == address)
                return function;
        }
        throw std::out_of_range("no such function");
    }

    std::vector<PciFunction> functions;

private:
    size_t m_capacity;
};

constexpr uint8_t kMultiFunction = 0x80;

// QEMU's pc with a bridge: host bridge, the PIIX3's functions 0, 1 and 3,
// a bridge to bus 1 holding a NIC and a second bridge to bus 2.
void pc_with_bridges(FakeBus& bus)
{
    bus.add({ 0, 0, 0 }, 0x8086, 0x1237, 0x06000002);
    bus.add({ 0, 1, 0 }, 0x8086, 0x7000, 0x06010000, kMultiFunction);
    bus.add({ 0, 1, 1 }, 0x8086, 0x7010, 0x01018000);
    bus.add({ 0, 1, 3 }, 0x8086, 0x7113, 0x06800003);
    bus.add({ 0, 2, 0 }, 0x1234, 0x1111, 0x03000002);
    bus.add_bridge({ 0, 4, 0 }, 1, 2);
    bus.add({ 1, 3, 0 }, 0x8086, 0x100E, 0x02000003);
    bus.add_bridge({ 1, 5, 0 }, 2, 2);
    bus.add({ 2, 0, 0 }, 0x1AF4, 0x1041, 0x02000001);
}

TEST(PciEnumeration, EveryFunctionAndEveryBusBehindABridgeIsFound)
{
    FakeBus bus;
    pc_with_bridges(bus);
    Collected found;
    EnumerationSummary summary = enumerate(bus, 0, found);
    std::vector<std::string> expected = { "00:00.0", "00:01.0", "00:01.1", "00:01.3", "00:02.0", "00:04.0",
        "01:03.0", "01:05.0", "02:00.0" };
    EXPECT_EQ(found.addresses(), expected);
    EXPECT_EQ(summary.functions, 9u);
    EXPECT_EQ(summary.buses, 3u);
    EXPECT_EQ(summary.bridges_not_followed, 0u);
    EXPECT_FALSE(summary.sink_full);
    const PciFunction& nic = found.at({ 1, 3, 0 });
    EXPECT_EQ(nic.vendor_id, 0x8086);
    EXPECT_EQ(nic.device_id, 0x100E);
    EXPECT_EQ(nic.class_code, 0x02);
    EXPECT_EQ(nic.revision, 0x03);
    const PciFunction& ide = found.at({ 0, 1, 1 });
    EXPECT_EQ(ide.subclass, 0x01);
    EXPECT_EQ(ide.programming_interface, 0x80);
    EXPECT_EQ(found.at({ 0, 4, 0 }).bridge.secondary_bus, 1);
    EXPECT_EQ(found.at({ 0, 4, 0 }).bridge.subordinate_bus, 2);
}

TEST(PciEnumeration, FunctionsPastZeroOnlyWhenFunctionZeroSaysMultiFunction)
{
    FakeBus bus;
    bus.add({ 0, 3, 0 }, 0x8086, 0x100E, 0x02000000); // single-function...
    bus.add({ 0, 3, 1 }, 0x8086, 0x100E, 0x02000000); // ...so this one is not looked for
    bus.add({ 0, 5, 2 }, 0x8086, 0x100E, 0x02000000); // no function 0: no device
    bus.add({ 0, 6, 0 }, 0x8086, 0x2918, 0x06010000, kMultiFunction);
    bus.add({ 0, 6, 7 }, 0x8086, 0x2930, 0x0C050000);
    bus.add({ 0, 7, 0 }, 0x0000, 0x0000, 0); // vendor 0: nothing there either
    Collected found;
    enumerate(bus, 0, found);
    EXPECT_EQ(found.addresses(), (std::vector<std::string> { "00:03.0", "00:06.0", "00:06.7" }));
}

TEST(PciEnumeration, BridgesThatCannotBeFollowedAreNamedAndTheWalkEnds)
{
    FakeBus bus;
    pc_with_bridges(bus);
    bus.add_bridge({ 0, 6, 0 }, 0, 0); // unnumbered
    bus.add_bridge({ 0, 7, 0 }, 1, 1); // claims bus 1 again
    bus.add_bridge({ 2, 1, 0 }, 0x00, 0x00, 1); // behind bus 2 ...
    bus.function({ 2, 1, 0 }).bytes[0x19] = 0x01; // ... back up to bus 1: a loop
    bus.add_bridge({ 2, 2, 0 }, 9, 9); // beyond the access's reach
    bus.set_reach(0, 8);
    Collected found;
    EnumerationSummary summary = enumerate(bus, 0, found);
    EXPECT_EQ(summary.buses, 3u);
    EXPECT_EQ(summary.bridges_not_followed, 4u);
    EXPECT_EQ(found.at({ 0, 6, 0 }).bridge.problem, BridgeProblem::NotNumbered);
    EXPECT_EQ(found.at({ 0, 7, 0 }).bridge.problem, BridgeProblem::AlreadyScanned);
    EXPECT_EQ(found.at({ 2, 1, 0 }).bridge.problem, BridgeProblem::AlreadyScanned);
    EXPECT_EQ(found.at({ 2, 2, 0 }).bridge.problem, BridgeProblem::OutOfReach);
    EXPECT_EQ(found.at({ 0, 4, 0 }).bridge.problem, BridgeProblem::None);
    // Bus 1 was scanned once: its NIC once.
    size_t nics = 0;
    for (const PciFunction& function : found.functions)
        nics += function.address == PciAddress { 1, 3, 0 } ? 1 : 0;
    EXPECT_EQ(nics, 1u);
    EXPECT_STREQ(
        describe(BridgeProblem::NotNumbered), "secondary bus 0: the firmware left the bridge unnumbered");
}

TEST(PciEnumeration, ASinkThatIsFullStopsTheWalk)
{
    FakeBus bus;
    pc_with_bridges(bus);
    Collected found(4);
    EnumerationSummary summary = enumerate(bus, 0, found);
    EXPECT_TRUE(summary.sink_full);
    EXPECT_EQ(summary.functions, 4u);
    EXPECT_EQ(found.functions.size(), 4u);
}

TEST(PciEnumeration, ARootBusOutOfReachFindsNothing)
{
    FakeBus bus;
    pc_with_bridges(bus);
    bus.set_reach(1, 255);
    Collected found;
    EnumerationSummary summary = enumerate(bus, 0, found);
    EXPECT_EQ(summary.buses, 0u);
    EXPECT_TRUE(found.functions.empty());
}

TEST(PciEnumeration, ABridgesWindowsAreDecodedAsTheBridgeSpecificationSays)
{
    FakeBus bus;
    FakeFunction& bridge = bus.add_bridge({ 0, 4, 0 }, 1, 1);
    // QEMU's pci-bridge behind SeaBIOS: I/O 0xc000-0xcfff (16-bit), memory
    // 0xfe800000-0xfe9fffff, prefetchable 0xfe000000-0xfe1fffff (64-bit).
    bridge.bytes[0x1C] = 0xC0;
    bridge.bytes[0x1D] = 0xC0;
    bridge.put<uint16_t>(0x20, 0xFE80);
    bridge.put<uint16_t>(0x22, 0xFE90);
    bridge.put<uint16_t>(0x24, 0xFE01);
    bridge.put<uint16_t>(0x26, 0xFE11);
    PciFunction function = read_function(bus, { 0, 4, 0 });
    EXPECT_EQ(function.bridge.io.base, 0xC000u);
    EXPECT_EQ(function.bridge.io.limit, 0xCFFFu);
    EXPECT_EQ(function.bridge.memory.base, 0xFE800000u);
    EXPECT_EQ(function.bridge.memory.limit, 0xFE9FFFFFu);
    EXPECT_EQ(function.bridge.prefetchable.base, 0xFE000000u);
    EXPECT_EQ(function.bridge.prefetchable.limit, 0xFE1FFFFFu);

    // 32-bit I/O and a prefetchable window above 4 GiB use the upper halves;
    // a closed window has its base above its limit.
    bridge.bytes[0x1C] = 0x01 | 0x20;
    bridge.bytes[0x1D] = 0x01 | 0x30;
    bridge.put<uint16_t>(0x30, 0x0001);
    bridge.put<uint16_t>(0x32, 0x0001);
    bridge.put<uint32_t>(0x28, 0x8);
    bridge.put<uint32_t>(0x2C, 0x8);
    bridge.put<uint16_t>(0x20, 0xFFF0);
    bridge.put<uint16_t>(0x22, 0x0000);
    function = read_function(bus, { 0, 4, 0 });
    EXPECT_EQ(function.bridge.io.base, 0x12000u);
    EXPECT_EQ(function.bridge.io.limit, 0x13FFFu);
    EXPECT_EQ(function.bridge.prefetchable.base, 0x8FE000000u);
    EXPECT_EQ(function.bridge.prefetchable.limit, 0x8FE1FFFFFu);
    EXPECT_FALSE(function.bridge.memory.open());
}

TEST(PciEnumeration, ExtendedCapabilitiesOnlyForPciExpressFunctions)
{
    FakeBus bus(kExtendedConfigSpaceSize);
    FakeFunction& express = bus.add({ 0, 2, 0 }, 0x8086, 0x10D3, 0x02000000);
    express.put<uint16_t>(0x06, 0x0010);
    express.bytes[0x34] = 0x40;
    express.put<uint32_t>(0x40, 0x00020010); // PCI Express v2 endpoint, last
    express.put<uint32_t>(0x100, 0x00010001); // AER v1, last
    FakeFunction& conventional = bus.add({ 0, 3, 0 }, 0x8086, 0x100E, 0x02000000);
    conventional.put<uint32_t>(0x100, 0x00010001); // what a mirror of the space could hold
    EXPECT_EQ(read_function(bus, { 0, 2, 0 }).extended_capabilities.count, 1u);
    EXPECT_EQ(read_function(bus, { 0, 3, 0 }).extended_capabilities.count, 0u);
}

TEST(PciEnumeration, AnUnknownHeaderLayoutIsReadNoFurtherThanItsIdentity)
{
    FakeBus bus;
    FakeFunction& odd = bus.add({ 0, 9, 0 }, 0x1234, 0x5678, 0xFF000000, 0x05);
    odd.put<uint32_t>(0x10, 0xFEB00000);
    PciFunction function = read_function(bus, { 0, 9, 0 });
    EXPECT_EQ(function.vendor_id, 0x1234);
    EXPECT_EQ(function.bars.count, 0u);
    EXPECT_TRUE(bus.writes.empty()) << "a register of an unknown layout was written";
}

} // namespace
