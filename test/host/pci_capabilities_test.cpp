// Capability list walks (PCI 3.0 6.7; PCIe Base 4.0 7.6.3) over synthetic
// configuration spaces: a good list read field by field, and lists that
// lie (loop, point into the header, run past the space, sit misaligned),
// each stopped with its problem named and the capabilities before it kept;
// then random spaces, none of which may hang the walk or send it outside.

#include "drivers/pci_capabilities.h"
#include "pci_fake_bus.h"

#include <gtest/gtest.h>

#include <random>

namespace {

using namespace drivers::pci;
using pci_test::FakeBus;
using pci_test::FakeFunction;

constexpr PciAddress kAt { 0, 2, 0 };
constexpr uint16_t kCapabilitiesListed = 0x0010;

// A capability at offset: ID, next, then the 16 bits it defines.
void put_capability(FakeFunction& function, uint8_t offset, uint8_t id, uint8_t next, uint16_t control = 0)
{
    function.bytes[offset] = id;
    function.bytes[offset + 1] = next;
    function.put<uint16_t>(static_cast<uint16_t>(offset + 2), control);
}

FakeFunction& with_list(FakeBus& bus, uint8_t first)
{
    FakeFunction& function = bus.add(kAt, 0x8086, 0x10D3, 0x02000000);
    function.put<uint16_t>(0x06, kCapabilitiesListed);
    function.bytes[0x34] = first;
    return function;
}

CapabilityList walk(FakeBus& bus)
{
    return walk_capabilities(bus, kAt, offset::kCapabilitiesPointer);
}

TEST(PciCapabilities, AGoodListIsReadInOrderWithEachCapabilitysFields)
{
    FakeBus bus;
    FakeFunction& function = with_list(bus, 0xC8);
    put_capability(function, 0xC8, 0x01, 0xD0, 0x0003); // power management 1.2
    put_capability(function, 0xD0, 0x05, 0xE0, 0x0186); // MSI: 64-bit, masking, 8 vectors
    put_capability(function, 0xE0, 0x10, 0xA0, 0x0001); // PCI Express v1 endpoint, where e1000e has it
    put_capability(function, 0xA0, 0x11, 0x40, 0x8004); // MSI-X: 5 vectors, enabled
    function.put<uint32_t>(0xA4, 0x00002003); // table in BAR3 at 0x2000
    function.put<uint32_t>(0xA8, 0x00003003); // PBA in BAR3 at 0x3000
    put_capability(function, 0x40, 0x09, 0x00, 0x0014); // vendor-specific, 20 bytes

    CapabilityList list = walk(bus);
    EXPECT_EQ(list.problem, CapabilityProblem::None);
    ASSERT_EQ(list.count, 5u);
    const uint16_t ids[] = { 0x01, 0x05, 0x10, 0x11, 0x09 };
    const uint16_t offsets[] = { 0xC8, 0xD0, 0xE0, 0xA0, 0x40 };
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(list.items[i].id, ids[i]) << i;
        EXPECT_EQ(list.items[i].offset, offsets[i]) << i;
    }
    MsiControl msi(list.items[1].control);
    EXPECT_TRUE(msi.address_64_bits());
    EXPECT_TRUE(msi.per_vector_masking());
    EXPECT_EQ(1u << msi.vectors_capable_log2(), 8u);
    EXPECT_FALSE(msi.enabled());
    EXPECT_EQ(PciExpressCapabilities(list.items[2].control).version(), 1u);
    MsiXControl msix(list.items[3].control);
    EXPECT_EQ(msix.table_size_minus_one() + 1u, 5u);
    EXPECT_TRUE(msix.enabled());
    EXPECT_EQ(msix_bar(list.items[3].table), 3);
    EXPECT_EQ(msix_offset(list.items[3].table), 0x2000u);
    EXPECT_EQ(msix_offset(list.items[3].pending), 0x3000u);
    EXPECT_TRUE(has_capability(list, CapabilityId::PciExpress));
}

TEST(PciCapabilities, NoListUnlessTheStatusRegisterSaysSo)
{
    FakeBus bus;
    FakeFunction& function = with_list(bus, 0x40);
    put_capability(function, 0x40, 0x05, 0x00);
    function.put<uint16_t>(0x06, 0);
    CapabilityList list = walk(bus);
    EXPECT_EQ(list.count, 0u);
    EXPECT_EQ(list.problem, CapabilityProblem::None);
    EXPECT_FALSE(bus.read_at(0x34)) << "the pointer was read without the status bit";
}

TEST(PciCapabilities, ALoopIsCaughtAtTheFirstRevisitAndTheCapabilitiesBeforeItKept)
{
    FakeBus bus;
    FakeFunction& function = with_list(bus, 0x40);
    put_capability(function, 0x40, 0x01, 0x50);
    put_capability(function, 0x50, 0x05, 0x60);
    put_capability(function, 0x60, 0x10, 0x40); // back to the first
    CapabilityList list = walk(bus);
    EXPECT_EQ(list.problem, CapabilityProblem::Loops);
    EXPECT_EQ(list.count, 3u);
    EXPECT_EQ(list.pointer, 0x40);
    EXPECT_EQ(list.pointer_at, 0x61); // the next byte of the capability at 0x60

    FakeBus self_bus;
    FakeFunction& self = with_list(self_bus, 0x80);
    put_capability(self, 0x80, 0x09, 0x80, 0x0004);
    CapabilityList one = walk(self_bus);
    EXPECT_EQ(one.problem, CapabilityProblem::Loops);
    EXPECT_EQ(one.count, 1u);
    EXPECT_LT(self_bus.reads(), 20u) << "a self-loop must stop at once";
}

TEST(PciCapabilities, APointerIntoTheHeaderStopsTheWalk)
{
    FakeBus bus;
    FakeFunction& function = with_list(bus, 0x40);
    put_capability(function, 0x40, 0x01, 0x20);
    CapabilityList list = walk(bus);
    EXPECT_EQ(list.problem, CapabilityProblem::PointsIntoHeader);
    EXPECT_EQ(list.count, 1u);
    EXPECT_EQ(list.pointer, 0x20);
    EXPECT_EQ(list.pointer_at, 0x41);

    FakeBus first_bus;
    with_list(first_bus, 0x3C);
    CapabilityList first = walk(first_bus);
    EXPECT_EQ(first.problem, CapabilityProblem::PointsIntoHeader);
    EXPECT_EQ(first.count, 0u);
    EXPECT_EQ(first.pointer_at, 0x34);
    EXPECT_STREQ(describe(first.problem, false), "points into the header (below 0x40)");
}

TEST(PciCapabilities, AMisalignedPointerStopsTheWalk)
{
    FakeBus bus;
    FakeFunction& function = with_list(bus, 0x40);
    put_capability(function, 0x40, 0x01, 0x52);
    put_capability(function, 0x52, 0x05, 0x00);
    CapabilityList list = walk(bus);
    EXPECT_EQ(list.problem, CapabilityProblem::Misaligned);
    EXPECT_EQ(list.count, 1u);
    EXPECT_EQ(list.pointer, 0x52);
    EXPECT_FALSE(bus.read_at(0x50)) << "the misaligned capability was read";
    EXPECT_STREQ(describe(list.problem, false), "is not a multiple of 4");
}

TEST(PciCapabilities, ACapabilityThatRunsPastTheSpaceStopsTheWalk)
{
    // Each sits where its header fits but its body does not.
    struct Case {
        uint8_t id;
        uint16_t control;
        uint8_t offset;
    };
    const Case cases[] = {
        { 0x01, 0x0003, 0xFC }, // power management: 8 bytes
        { 0x11, 0x0000, 0xF8 }, // MSI-X: 12 bytes
        { 0x05, 0x0180, 0xEC }, // MSI with a 64-bit address and masking: 24 bytes
        { 0x10, 0x0002, 0xD8 }, // PCI Express v2: 44 bytes at least
        { 0x10, 0x0001, 0xF0 }, // PCI Express v1 endpoint: 20 bytes
        { 0x09, 0x0020, 0xF0 }, // vendor-specific, 32 bytes by its own length
    };
    for (const Case& item : cases) {
        FakeBus bus;
        FakeFunction& function = with_list(bus, 0x40);
        put_capability(function, 0x40, 0x01, item.offset, 0x0003);
        put_capability(function, item.offset, item.id, 0x00, item.control);
        CapabilityList list = walk(bus);
        EXPECT_EQ(list.problem, CapabilityProblem::RunsPastEnd) << int(item.id);
        EXPECT_EQ(list.count, 1u) << int(item.id);
        EXPECT_EQ(list.pointer, item.offset);
    }
    // They fit one step lower; a root complex integrated endpoint's version
    // 1 structure has no link registers.
    const Case fitting[] = { { 0x11, 0x0000, 0xF4 }, { 0x10, 0x0002, 0xD4 }, { 0x10, 0x0091, 0xF4 } };
    for (const Case& item : fitting) {
        FakeBus bus;
        FakeFunction& function = with_list(bus, item.offset);
        put_capability(function, item.offset, item.id, 0x00, item.control);
        EXPECT_EQ(walk(bus).problem, CapabilityProblem::None) << int(item.id) << " at " << int(item.offset);
    }
}

TEST(PciCapabilities, AListLongerThanTheKeptOnesStopsAtTheLimit)
{
    FakeBus bus;
    FakeFunction& function = with_list(bus, 0x40);
    for (uint8_t i = 0; i < 20; ++i)
        put_capability(
            function, static_cast<uint8_t>(0x40 + 4 * i), 0x0A, static_cast<uint8_t>(0x44 + 4 * i));
    put_capability(function, 0x40 + 4 * 20, 0x0A, 0x00);
    CapabilityList list = walk(bus);
    EXPECT_EQ(list.problem, CapabilityProblem::TooMany);
    EXPECT_EQ(list.count, CapabilityList::kMaxCapabilities);
    EXPECT_EQ(list.pointer, 0x40 + 4 * CapabilityList::kMaxCapabilities);
}

TEST(PciCapabilities, ACardBusBridgesPointerSitsAt0x14)
{
    FakeBus bus;
    FakeFunction& function = bus.add(kAt, 0x104C, 0xAC50, 0x06070000, 2);
    function.put<uint16_t>(0x06, kCapabilitiesListed);
    function.bytes[0x14] = 0x80;
    put_capability(function, 0x80, 0x01, 0x00, 0x0002);
    CapabilityList list = walk_capabilities(bus, kAt, offset::kCardBusCapabilitiesPointer);
    ASSERT_EQ(list.count, 1u);
    EXPECT_EQ(list.items[0].offset, 0x80);
}

// Extended capabilities: a 32-bit header, ID 15:0, version 19:16, next 31:20.
void put_extended(FakeFunction& function, uint16_t offset, uint16_t id, uint8_t version, uint16_t next)
{
    function.put<uint32_t>(offset,
        static_cast<uint32_t>(id) | static_cast<uint32_t>(version) << 16 | static_cast<uint32_t>(next) << 20);
}

TEST(PciCapabilities, TheExtendedListIsWalkedFrom0x100)
{
    FakeBus bus(kExtendedConfigSpaceSize);
    FakeFunction& function = with_list(bus, 0);
    put_extended(function, 0x100, 0x0001, 2, 0x148); // AER v2
    put_extended(function, 0x148, 0x0003, 1, 0x000); // device serial number
    CapabilityList list = walk_extended_capabilities(bus, kAt);
    EXPECT_EQ(list.problem, CapabilityProblem::None);
    ASSERT_EQ(list.count, 2u);
    EXPECT_EQ(list.items[0].id, 0x0001);
    EXPECT_EQ(list.items[0].version, 2);
    EXPECT_EQ(list.items[1].offset, 0x148);
}

TEST(PciCapabilities, NoExtendedListWithoutExtendedSpaceOrAHeader)
{
    FakeBus conventional;
    FakeFunction& function = with_list(conventional, 0);
    put_extended(function, 0x100, 0x0001, 1, 0);
    EXPECT_EQ(walk_extended_capabilities(conventional, kAt).count, 0u);
    EXPECT_FALSE(conventional.read_at(0x100)) << "read past 256 bytes without ECAM";

    FakeBus empty(kExtendedConfigSpaceSize);
    with_list(empty, 0);
    EXPECT_EQ(walk_extended_capabilities(empty, kAt).count, 0u);

    FakeBus all_ones(kExtendedConfigSpaceSize);
    with_list(all_ones, 0).put<uint32_t>(0x100, 0xFFFFFFFF);
    CapabilityList list = walk_extended_capabilities(all_ones, kAt);
    EXPECT_EQ(list.count, 0u);
    EXPECT_EQ(list.problem, CapabilityProblem::None);
}

TEST(PciCapabilities, ABrokenExtendedListIsNamed)
{
    struct Case {
        uint16_t next;
        CapabilityProblem problem;
    };
    const Case cases[] = {
        { 0x100, CapabilityProblem::Loops }, { 0x080, CapabilityProblem::PointsIntoHeader },
        { 0x142, CapabilityProblem::Misaligned },
        { 0xFFC, CapabilityProblem::RunsPastEnd }, // a device serial number needs 12 bytes
    };
    for (const Case& item : cases) {
        FakeBus bus(kExtendedConfigSpaceSize);
        FakeFunction& function = with_list(bus, 0);
        put_extended(function, 0x100, 0x0001, 1, item.next);
        if (item.next == 0xFFC)
            put_extended(function, 0xFFC, 0x0003, 1, 0);
        CapabilityList list = walk_extended_capabilities(bus, kAt);
        EXPECT_EQ(list.problem, item.problem) << item.next;
        EXPECT_EQ(list.count, 1u) << item.next;
        EXPECT_EQ(list.pointer, item.next);
        EXPECT_EQ(list.pointer_at, 0x100);
    }
    EXPECT_STREQ(describe(CapabilityProblem::PointsIntoHeader, true),
        "points below 0x100, into the conventional space");
}

// Whatever a device's bytes say, the walk ends, keeps at most the limit,
// and keeps only capabilities that sit inside the space, aligned, above
// the header, each once.
TEST(PciCapabilities, RandomSpacesNeverHangOrLeadOutside)
{
    std::mt19937 random(20261127);
    for (int round = 0; round < 20000; ++round) {
        FakeBus bus(round % 2 == 0 ? kConfigSpaceSize : kExtendedConfigSpaceSize);
        FakeFunction& function = with_list(bus, 0);
        for (uint8_t& byte : function.bytes)
            byte = static_cast<uint8_t>(random());
        // Pointers biased towards the capability area, so most walks go somewhere.
        function.bytes[0x34] = static_cast<uint8_t>(0x40 + random() % 0xC0);
        function.put<uint16_t>(0x06, kCapabilitiesListed);
        for (int extended = 0; extended < 2; ++extended) {
            CapabilityList list = extended != 0 ? walk_extended_capabilities(bus, kAt)
                                                : walk_capabilities(bus, kAt, offset::kCapabilitiesPointer);
            ASSERT_LE(list.count, CapabilityList::kMaxCapabilities);
            uint16_t lowest = extended != 0 ? 0x100 : 0x40;
            uint16_t end = extended != 0 ? kExtendedConfigSpaceSize : kConfigSpaceSize;
            for (size_t i = 0; i < list.count; ++i) {
                ASSERT_GE(list.items[i].offset, lowest);
                ASSERT_LT(list.items[i].offset + 4, end + 1);
                ASSERT_EQ(list.items[i].offset % 4, 0);
                for (size_t j = 0; j < i; ++j)
                    ASSERT_NE(list.items[i].offset, list.items[j].offset);
            }
        }
        ASSERT_LT(bus.reads(), 200u);
    }
}

} // namespace
