// The MCFG reader (PCI Firmware 3.2, 4.1.2) against tables this test builds
// field by field: QEMU q35's, then each lie named by its field.

#include "acpi/mcfg.h"
#include "acpi_test_tables.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace acpi_test;

struct Allocation {
    uint64_t base;
    uint16_t segment;
    uint8_t start_bus;
    uint8_t end_bus;
};

// QEMU's q35 under SeaBIOS and OVMF: one window at 0xb0000000, buses 0-255.
constexpr Allocation kQemuQ35 { 0xB0000000, 0, 0, 255 };

std::vector<uint8_t> mcfg_bytes(const std::vector<Allocation>& allocations, size_t extra_bytes = 0)
{
    std::vector<uint8_t> body(8, 0); // reserved
    for (const Allocation& allocation : allocations) {
        std::vector<uint8_t> entry(16, 0);
        store<uint64_t>(entry, 0, allocation.base);
        store<uint16_t>(entry, 8, allocation.segment);
        entry[10] = allocation.start_bus;
        entry[11] = allocation.end_bus;
        body.insert(body.end(), entry.begin(), entry.end());
    }
    body.resize(body.size() + extra_bytes, 0);
    return table_bytes("MCFG", body);
}

// RAM below 128 MiB, as a memory map would say.
bool overlaps_low_ram(uint64_t physical, uint64_t length, const void*)
{
    return physical < (128u << 20) && physical + length > 0;
}

constexpr acpi::McfgLimits kLimits { overlaps_low_ram, nullptr };

std::string rejection(const std::vector<uint8_t>& bytes)
{
    auto parsed = acpi::parse_mcfg(view_of(bytes), kLimits);
    if (parsed.has_value())
        return "(accepted)";
    return std::string(parsed.error().table) + " " + parsed.error().field + ": " + parsed.error().reason;
}

TEST(AcpiMcfg, ReadsQemusTable)
{
    auto bytes = mcfg_bytes({ kQemuQ35 });
    auto parsed = acpi::parse_mcfg(view_of(bytes), kLimits);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().field;
    const acpi::Mcfg& mcfg = parsed.value();
    ASSERT_EQ(mcfg.entry_count, 1u);
    EXPECT_EQ(mcfg.entries[0].base, 0xB0000000u);
    EXPECT_EQ(mcfg.entries[0].segment, 0);
    EXPECT_EQ(mcfg.entries[0].start_bus, 0);
    EXPECT_EQ(mcfg.entries[0].end_bus, 255);
    EXPECT_EQ(mcfg.entries[0].window_start(), 0xB0000000u);
    EXPECT_EQ(mcfg.entries[0].window_length(), 256u << 20);
    EXPECT_EQ(mcfg.entry_for(0, 7), &mcfg.entries[0]);
    EXPECT_EQ(mcfg.entry_for(1, 7), nullptr);
}

TEST(AcpiMcfg, SeveralSegmentsAndBusRanges)
{
    auto bytes
        = mcfg_bytes({ { 0xE0000000, 0, 0, 63 }, { 0xE0000000, 1, 0, 255 }, { 0xF0000000, 0, 64, 127 } });
    auto parsed = acpi::parse_mcfg(view_of(bytes), kLimits);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().field;
    const acpi::Mcfg& mcfg = parsed.value();
    EXPECT_EQ(mcfg.entry_count, 3u);
    EXPECT_EQ(mcfg.entry_for(0, 100), &mcfg.entries[2]);
    EXPECT_EQ(mcfg.entries[2].window_start(), 0xF0000000u + (64u << 20));
    EXPECT_EQ(mcfg.entry_for(0, 200), nullptr);
}

TEST(AcpiMcfg, NamesTheFieldItRejects)
{
    EXPECT_EQ(rejection(mcfg_bytes({})), "MCFG length: leaves no room for one allocation structure");
    EXPECT_EQ(rejection(mcfg_bytes({ kQemuQ35 }, 4)),
        "MCFG length: does not end on a whole 16-byte allocation structure");
    EXPECT_EQ(rejection(mcfg_bytes(std::vector<Allocation>(17, Allocation { 0xB0000000, 0, 0, 0 }))),
        "MCFG length: lists more allocation structures than this reader holds (16)");
    EXPECT_EQ(rejection(mcfg_bytes({ { 0, 0, 0, 255 } })), "MCFG Base Address: is null");
    EXPECT_EQ(
        rejection(mcfg_bytes({ { 0xB0080000, 0, 0, 255 } })), "MCFG Base Address: is not aligned to 1 MiB");
    EXPECT_EQ(rejection(mcfg_bytes({ { 0xB0000000, 0, 9, 8 } })),
        "MCFG End Bus Number: is below the Start Bus Number");
    EXPECT_EQ(rejection(mcfg_bytes({ { 0xFFFFFFFFFFF00000, 0, 0, 1 } })),
        "MCFG Base Address: puts the window past the top of the address space");
    EXPECT_EQ(rejection(mcfg_bytes({ { 0x04000000, 0, 0, 15 } })),
        "MCFG Base Address: puts the window over usable RAM");
    EXPECT_EQ(rejection(mcfg_bytes({ kQemuQ35, { 0xE0000000, 0, 255, 255 } })),
        "MCFG Start Bus Number: overlaps another allocation structure's buses in the same segment");
    // Only the buses' own windows count: buses 128-255 of a base in RAM lie above it.
    EXPECT_EQ(rejection(mcfg_bytes({ { 0x00000000 + (1u << 20), 0, 128, 255 } })), "(accepted)");
}

TEST(AcpiMcfg, RefusesAnotherTablesSignature)
{
    auto bytes = table_bytes("APIC", std::vector<uint8_t>(24, 0));
    EXPECT_EQ(rejection(bytes), "APIC signature: is not MCFG");
}

} // namespace
