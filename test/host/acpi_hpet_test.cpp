// The HPET table reader (IA-PC HPET 1.0a 3.2.4) against tables this test
// builds field by field.

#include "acpi/hpet.h"
#include "acpi_test_tables.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace acpi_test;

struct HpetLayout {
    uint32_t block_id = 0x8086A201; // QEMU's: Intel, legacy capable, 3 comparators, 64-bit, revision 1
    uint8_t space = 0;
    uint64_t address = 0xFED00000;
    uint8_t number = 0;
    uint16_t minimum_tick = 128;
    size_t body_length = 20;
};

std::vector<uint8_t> hpet_bytes(const HpetLayout& layout)
{
    std::vector<uint8_t> body(20, 0);
    store<uint32_t>(body, 0, layout.block_id);
    body[4] = layout.space;
    body[5] = 64;
    store<uint64_t>(body, 8, layout.address);
    body[16] = layout.number;
    store<uint16_t>(body, 17, layout.minimum_tick);
    body.resize(layout.body_length);
    return table_bytes("HPET", body);
}

std::string rejection(const HpetLayout& layout)
{
    auto bytes = hpet_bytes(layout);
    auto parsed = acpi::parse_hpet(view_of(bytes));
    return parsed.has_value() ? "(accepted)" : std::string(parsed.error().table) + " " + parsed.error().field;
}

TEST(AcpiHpet, ReadsQemusTable)
{
    HpetLayout layout;
    layout.number = 2;
    auto bytes = hpet_bytes(layout);
    auto parsed = acpi::parse_hpet(view_of(bytes));
    ASSERT_TRUE(parsed.has_value()) << parsed.error().field;
    const acpi::Hpet& hpet = parsed.value();
    EXPECT_EQ(hpet.event_timer_block_id, 0x8086A201u);
    EXPECT_EQ(hpet.pci_vendor_id, 0x8086);
    EXPECT_TRUE(hpet.legacy_replacement_capable);
    EXPECT_TRUE(hpet.counter_64_bits);
    EXPECT_EQ(hpet.comparator_count, 3);
    EXPECT_EQ(hpet.hardware_revision, 1);
    EXPECT_EQ(hpet.address, 0xFED00000u);
    EXPECT_EQ(hpet.hpet_number, 2);
    EXPECT_EQ(hpet.minimum_tick, 128);

    layout.block_id = 0x10DE1F02; // 32 comparators, 32-bit counter, not legacy capable
    bytes = hpet_bytes(layout);
    auto other = acpi::parse_hpet(view_of(bytes));
    ASSERT_TRUE(other.has_value());
    EXPECT_EQ(other.value().comparator_count, 32);
    EXPECT_FALSE(other.value().counter_64_bits);
    EXPECT_FALSE(other.value().legacy_replacement_capable);
    EXPECT_EQ(other.value().hardware_revision, 2);
}

TEST(AcpiHpet, NamesTheFieldItRejects)
{
    EXPECT_EQ(rejection(HpetLayout {}), "(accepted)");
    HpetLayout cut;
    cut.body_length = 19;
    EXPECT_EQ(rejection(cut), "HPET length");
    HpetLayout in_io;
    in_io.space = 1;
    EXPECT_EQ(rejection(in_io), "HPET BASE_ADDRESS");
    HpetLayout null;
    null.address = 0;
    EXPECT_EQ(rejection(null), "HPET BASE_ADDRESS");
    HpetLayout misaligned;
    misaligned.address = 0xFED00200;
    EXPECT_EQ(rejection(misaligned), "HPET BASE_ADDRESS");
    HpetLayout revision_zero;
    revision_zero.block_id = 0x8086A200;
    EXPECT_EQ(rejection(revision_zero), "HPET Event Timer Block ID");
    auto madt = table_bytes("APIC", std::vector<uint8_t>(20, 0));
    EXPECT_FALSE(acpi::parse_hpet(view_of(madt)).has_value());
}

} // namespace
