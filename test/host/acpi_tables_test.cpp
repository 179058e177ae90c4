// The ACPI reader against firmware tables this test lays out itself in a
// fake physical memory: RSDP (loader copy and BIOS-area scan), RSDT/XSDT,
// every table's signature, length and checksum, and the FADT's PM timer.

#include "acpi/fadt.h"
#include "acpi/rsdp.h"
#include "acpi/sdt_header.h"
#include "acpi/table_directory.h"
#include "acpi_test_tables.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace acpi_test;

std::vector<uint8_t> rsdp_bytes(uint8_t revision, uint32_t rsdt, uint64_t xsdt)
{
    std::vector<uint8_t> bytes(revision >= 2 ? 36 : 20, 0);
    std::memcpy(bytes.data(), "RSD PTR ", 8);
    std::memcpy(bytes.data() + 9, "RAYOS ", 6);
    bytes[15] = revision;
    store<uint32_t>(bytes, 16, rsdt);
    fix_checksum(bytes, 8, 20);
    if (revision >= 2) {
        store<uint32_t>(bytes, 20, 36);
        store<uint64_t>(bytes, 24, xsdt);
        fix_checksum(bytes, 32, 36);
    }
    return bytes;
}

template <typename Entry>
std::vector<uint8_t> root_bytes(const char* signature, const std::vector<uint64_t>& entries)
{
    std::vector<uint8_t> body(entries.size() * sizeof(Entry));
    for (size_t i = 0; i < entries.size(); ++i)
        store<Entry>(body, i * sizeof(Entry), static_cast<Entry>(entries[i]));
    return table_bytes(signature, body);
}

struct FadtLayout {
    uint32_t length = 276;
    uint32_t pm_timer_block = 0xB008;
    uint8_t pm_timer_length = 4;
    bool timer_value_extended = false;
    uint8_t extended_space = 1;
    uint64_t extended_address = 0;
    bool reset_supported = false;
    uint8_t reset_space = 1;
    uint8_t reset_width = 8;
    uint64_t reset_address = 0xCF9;
    uint8_t reset_value = 6;
};

std::vector<uint8_t> fadt_bytes(const FadtLayout& layout)
{
    std::vector<uint8_t> body(276 - 36, 0); // ACPI 6.4's FADT, cut to length below
    auto at = [&](size_t offset) { return offset - 36; };
    store<uint32_t>(body, at(76), layout.pm_timer_block);
    body[at(91)] = layout.pm_timer_length;
    store<uint32_t>(
        body, at(112), (layout.timer_value_extended ? 1u << 8 : 0) | (layout.reset_supported ? 1u << 10 : 0));
    body[at(116)] = layout.reset_space;
    body[at(117)] = layout.reset_width;
    store<uint64_t>(body, at(120), layout.reset_address);
    body[at(128)] = layout.reset_value;
    if (layout.length >= 220) {
        body[at(208)] = layout.extended_space;
        body[at(209)] = 32;
        store<uint64_t>(body, at(212), layout.extended_address);
    }
    body.resize(layout.length - 36);
    return table_bytes("FACP", body, 3);
}

acpi::Fadt parsed_fadt(const FadtLayout& layout)
{
    FakeMemory memory;
    memory.put(0x7000, fadt_bytes(layout));
    auto table = acpi::read_table(memory, 0x7000, "FACP");
    EXPECT_TRUE(table.has_value());
    auto fadt = acpi::parse_fadt(table.value());
    EXPECT_TRUE(fadt.has_value()) << fadt.error().field << ": " << fadt.error().reason;
    return fadt.value();
}

std::string fadt_rejection(const FadtLayout& layout)
{
    FakeMemory memory;
    memory.put(0x7000, fadt_bytes(layout));
    auto table = acpi::read_table(memory, 0x7000, "FACP");
    EXPECT_TRUE(table.has_value());
    auto fadt = acpi::parse_fadt(table.value());
    return fadt.has_value() ? "(accepted)" : std::string(fadt.error().table) + " " + fadt.error().field;
}

TEST(AcpiRsdp, ReadsTheLoadersVersion1And2Copies)
{
    auto v1 = rsdp_bytes(0, 0x1234000, 0);
    auto parsed = acpi::parse_rsdp(v1.data(), v1.size(), 0);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed.value().revision, 0);
    EXPECT_EQ(parsed.value().rsdt_address, 0x1234000u);
    EXPECT_EQ(parsed.value().xsdt_address, 0u);
    EXPECT_STREQ(parsed.value().oem_id, "RAYOS ");

    auto v2 = rsdp_bytes(2, 0x1234000, 0x1235000);
    auto parsed_v2 = acpi::parse_rsdp(v2.data(), v2.size(), 0);
    ASSERT_TRUE(parsed_v2.has_value());
    EXPECT_EQ(parsed_v2.value().xsdt_address, 0x1235000u);
}

TEST(AcpiRsdp, NamesTheFieldItRejects)
{
    auto reject = [](std::vector<uint8_t> bytes, size_t available) {
        auto parsed = acpi::parse_rsdp(bytes.data(), available, 0);
        EXPECT_FALSE(parsed.has_value());
        return parsed.has_value() ? "" : std::string(parsed.error().table) + " " + parsed.error().field;
    };
    auto bad_signature = rsdp_bytes(0, 0x1000, 0);
    bad_signature[0] = 'X';
    EXPECT_EQ(reject(bad_signature, 20), "RSDP signature");
    auto bad_checksum = rsdp_bytes(0, 0x1000, 0);
    bad_checksum[16] ^= 1;
    EXPECT_EQ(reject(bad_checksum, 20), "RSDP checksum");
    auto bad_extended = rsdp_bytes(2, 0x1000, 0x2000);
    bad_extended[24] ^= 1; // outside the first 20 bytes: only the extended checksum sees it
    EXPECT_EQ(reject(bad_extended, 36), "RSDP extended checksum");
    EXPECT_EQ(reject(rsdp_bytes(2, 0x1000, 0x2000), 20), "RSDP length");
    EXPECT_EQ(reject(rsdp_bytes(0, 0x1000, 0), 12), "RSDP length");
}

TEST(AcpiRsdp, FindsItInTheEbdaFirstThenTheBiosArea)
{
    FakeMemory memory;
    memory.region(0, 0x1000);
    memory.region(0x9FC00, 0x400);
    memory.region(0xE0000, 0x20000);
    store<uint16_t>(memory.region(0, 0x1000), 0x40E, 0x9FC0); // EBDA segment
    memory.put(0xF5A30, rsdp_bytes(0, 0xBBBB000, 0));
    auto found = acpi::find_rsdp_in_bios_areas(memory);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found.value().physical, 0xF5A30u);
    EXPECT_EQ(found.value().rsdt_address, 0xBBBB000u);

    memory.put(0x9FC40, rsdp_bytes(2, 0xAAAA000, 0xAAAB000));
    auto in_ebda = acpi::find_rsdp_in_bios_areas(memory);
    ASSERT_TRUE(in_ebda.has_value());
    EXPECT_EQ(in_ebda.value().physical, 0x9FC40u);
}

TEST(AcpiRsdp, PassesOverASignatureWithABadChecksumAndOffAlignment)
{
    FakeMemory memory;
    memory.region(0, 0x1000);
    memory.region(0xE0000, 0x20000);
    auto broken = rsdp_bytes(0, 0x1000, 0);
    broken[16] ^= 1;
    memory.put(0xE1000, broken);
    memory.put(0xE2008, rsdp_bytes(0, 0x2000, 0)); // not on a 16-byte boundary
    auto found = acpi::find_rsdp_in_bios_areas(memory);
    ASSERT_FALSE(found.has_value());
    EXPECT_STREQ(found.error().field, "checksum");
    EXPECT_EQ(found.error().physical, 0xE1000u);

    memory.put(0xFFFE0, rsdp_bytes(0, 0x3000, 0)); // the last boundary of the area
    auto at_the_end = acpi::find_rsdp_in_bios_areas(memory);
    ASSERT_TRUE(at_the_end.has_value());
    EXPECT_EQ(at_the_end.value().rsdt_address, 0x3000u);
}

TEST(AcpiRsdp, SaysWhenThereIsNone)
{
    FakeMemory memory;
    memory.region(0, 0x1000);
    memory.region(0xE0000, 0x20000);
    auto found = acpi::find_rsdp_in_bios_areas(memory);
    ASSERT_FALSE(found.has_value());
    EXPECT_STREQ(found.error().reason, "not found in the EBDA or 0xE0000-0xFFFFF");
    FakeMemory nothing_readable;
    EXPECT_FALSE(acpi::find_rsdp_in_bios_areas(nothing_readable).has_value());
}

TEST(AcpiTables, EveryHeaderFieldIsChecked)
{
    FakeMemory memory;
    auto good = table_bytes("APIC", std::vector<uint8_t>(20, 7));
    memory.put(0x5000, good);
    ASSERT_TRUE(acpi::read_table(memory, 0x5000, "APIC").has_value());

    auto field_of = [&](uint64_t physical, const char* expected) {
        auto table = acpi::read_table(memory, physical, expected);
        return table.has_value() ? "(accepted)"
                                 : std::string(table.error().table) + " " + table.error().field;
    };
    EXPECT_EQ(field_of(0x5000, "HPET"), "HPET signature");
    EXPECT_EQ(field_of(0, "FACP"), "FACP address");
    EXPECT_EQ(field_of(0x9000, "FACP"), "FACP address"); // nothing there

    auto bad_sum = good;
    bad_sum[40] ^= 0x10;
    memory.put(0x6000, bad_sum);
    EXPECT_EQ(field_of(0x6000, nullptr), "APIC checksum");

    auto short_length = good;
    store<uint32_t>(short_length, 4, 35);
    memory.put(0x6100, short_length);
    EXPECT_EQ(field_of(0x6100, "APIC"), "APIC length");

    auto huge_length = good;
    store<uint32_t>(huge_length, 4, 0x7FFFFFFF);
    memory.put(0x6200, huge_length);
    EXPECT_EQ(field_of(0x6200, "APIC"), "APIC length");

    // A length that runs past readable memory.
    auto running_off = good;
    store<uint32_t>(running_off, 4, 4096);
    memory.put(0x8000, running_off);
    EXPECT_EQ(field_of(0x8000, "APIC"), "APIC length");
}

struct Firmware {
    FakeMemory memory;
    acpi::Rsdp rsdp {};
};

// An RSDT and an XSDT that list different tables, so a test sees which was read.
Firmware firmware_with_both_roots(uint8_t revision)
{
    Firmware firmware;
    FakeMemory& memory = firmware.memory;
    memory.put(0x10000, table_bytes("SSDT", std::vector<uint8_t>(8, 1)));
    memory.put(0x11000, fadt_bytes({}));
    memory.put(0x12000, table_bytes("APIC", std::vector<uint8_t>(8, 2)));
    memory.put(0x20000, root_bytes<uint32_t>("RSDT", { 0x11000 }));
    memory.put(0x20800, root_bytes<uint64_t>("XSDT", { 0x10000, 0x11000, 0x12000 }));
    auto bytes = rsdp_bytes(revision, 0x20000, 0x20800);
    firmware.rsdp = acpi::parse_rsdp(bytes.data(), bytes.size(), 0).value();
    return firmware;
}

TEST(AcpiTables, PrefersTheXsdtAndListsEveryTable)
{
    Firmware firmware = firmware_with_both_roots(2);
    auto directory = acpi::read_table_directory(firmware.memory, firmware.rsdp);
    ASSERT_TRUE(directory.has_value());
    const acpi::TableDirectory& tables = directory.value();
    EXPECT_STREQ(acpi::signature_of(tables.root.header).text, "XSDT");
    ASSERT_EQ(tables.table_count, 3u);
    EXPECT_STREQ(tables.tables[0].signature.text, "SSDT");
    EXPECT_EQ(tables.tables[2].physical, 0x12000u);
    EXPECT_STREQ(tables.tables[2].oem_id, "RAYOS "); // table_bytes' OEM ID
    ASSERT_NE(tables.find("FACP"), nullptr);
    EXPECT_EQ(tables.find("FACP")->physical, 0x11000u);
    EXPECT_EQ(tables.find("HPET"), nullptr);
}

TEST(AcpiTables, ReadsTheRsdtForAnAcpi1Rsdp)
{
    Firmware firmware = firmware_with_both_roots(0);
    auto directory = acpi::read_table_directory(firmware.memory, firmware.rsdp);
    ASSERT_TRUE(directory.has_value());
    EXPECT_STREQ(acpi::signature_of(directory.value().root.header).text, "RSDT");
    EXPECT_EQ(directory.value().table_count, 1u);
}

TEST(AcpiTables, ABadTableIsSetAsideByNameAndTheRestKept)
{
    Firmware firmware = firmware_with_both_roots(2);
    firmware.memory.byte(0x12000 + 40) ^= 1; // the APIC table's body: its checksum fails
    auto directory = acpi::read_table_directory(firmware.memory, firmware.rsdp);
    ASSERT_TRUE(directory.has_value());
    EXPECT_EQ(directory.value().listed_count, 3u);
    EXPECT_EQ(directory.value().table_count, 2u);
    ASSERT_EQ(directory.value().rejected_count, 1u);
    EXPECT_STREQ(directory.value().rejected[0].table, "APIC");
    EXPECT_STREQ(directory.value().rejected[0].field, "checksum");
    EXPECT_EQ(directory.value().rejected[0].physical, 0x12000u);
}

TEST(AcpiTables, ABadRootIsRejectedByName)
{
    Firmware firmware = firmware_with_both_roots(2);
    firmware.memory.byte(0x20800 + 36) ^= 1;
    auto directory = acpi::read_table_directory(firmware.memory, firmware.rsdp);
    ASSERT_FALSE(directory.has_value());
    EXPECT_STREQ(directory.error().table, "XSDT");
    EXPECT_STREQ(directory.error().field, "checksum");

    Firmware torn = firmware_with_both_roots(2);
    torn.memory.put(0x20800, table_bytes("XSDT", std::vector<uint8_t>(12, 0))); // 1.5 entries
    auto torn_directory = acpi::read_table_directory(torn.memory, torn.rsdp);
    ASSERT_FALSE(torn_directory.has_value());
    EXPECT_STREQ(torn_directory.error().field, "length");
}

TEST(AcpiFadt, ReadsThePmTimerPort)
{
    acpi::PmTimerRegister timer = parsed_fadt({ .length = 116 }).pm_timer;
    EXPECT_TRUE(timer.present);
    EXPECT_EQ(timer.port, 0xB008);
    EXPECT_FALSE(timer.counts_32_bits);
    EXPECT_STREQ(timer.source, "PM_TMR_BLK");

    timer = parsed_fadt({ .pm_timer_block = 0x608, .timer_value_extended = true }).pm_timer;
    EXPECT_EQ(timer.port, 0x608);
    EXPECT_TRUE(timer.counts_32_bits);
}

TEST(AcpiFadt, PrefersXPmTmrBlk)
{
    acpi::PmTimerRegister timer
        = parsed_fadt({ .pm_timer_block = 0xB008, .extended_address = 0x1808 }).pm_timer;
    EXPECT_EQ(timer.port, 0x1808);
    EXPECT_STREQ(timer.source, "X_PM_TMR_BLK");
}

TEST(AcpiFadt, NoTimerOnHardwareReducedAcpi)
{
    EXPECT_FALSE(parsed_fadt({ .pm_timer_block = 0, .pm_timer_length = 0 }).pm_timer.present);
}

TEST(AcpiFadt, ReadsTheResetRegister)
{
    FadtLayout layout;
    EXPECT_FALSE(parsed_fadt(layout).reset.supported); // RESET_REG_SUP clear: the fields mean nothing
    layout.reset_supported = true;
    auto reset = parsed_fadt(layout).reset;
    EXPECT_TRUE(reset.supported);
    EXPECT_EQ(reset.address_space, 1);
    EXPECT_EQ(reset.address, 0xCF9u);
    EXPECT_EQ(reset.value, 6);
    layout.reset_space = 0;
    layout.reset_address = 0xFED00000;
    layout.reset_value = 0xA5;
    reset = parsed_fadt(layout).reset;
    EXPECT_EQ(reset.address_space, 0);
    EXPECT_EQ(reset.address, 0xFED00000u);
    EXPECT_EQ(reset.value, 0xA5);
    // An ACPI 1.0 FADT ends before RESET_REG: its flag bit was reserved.
    layout.length = 116;
    EXPECT_FALSE(parsed_fadt(layout).reset.supported);
}

TEST(AcpiFadt, RejectsAResetRegisterItCannotUse)
{
    FadtLayout layout;
    layout.reset_supported = true;
    layout.reset_space = 3; // embedded controller
    EXPECT_EQ(fadt_rejection(layout), "FACP RESET_REG");
    layout = FadtLayout {};
    layout.reset_supported = true;
    layout.reset_address = 0;
    EXPECT_EQ(fadt_rejection(layout), "FACP RESET_REG");
    layout = FadtLayout {};
    layout.reset_supported = true;
    layout.reset_width = 16;
    EXPECT_EQ(fadt_rejection(layout), "FACP RESET_REG");
    layout = FadtLayout {};
    layout.reset_supported = true;
    layout.reset_address = 0x10000;
    EXPECT_EQ(fadt_rejection(layout), "FACP RESET_REG");
    layout.reset_space = 0; // the same address in memory is fine
    EXPECT_EQ(fadt_rejection(layout), "(accepted)");
}

TEST(AcpiFadt, RejectsWhatItCannotUse)
{
    EXPECT_EQ(fadt_rejection({ .length = 100 }), "FACP length");
    EXPECT_EQ(fadt_rejection({ .pm_timer_length = 2 }), "FACP PM_TMR_LEN");
    EXPECT_EQ(fadt_rejection({ .pm_timer_block = 0x12345 }), "FACP PM_TMR_BLK");
    EXPECT_EQ(fadt_rejection({ .extended_space = 0, .extended_address = 0xFED00000 }), "FACP X_PM_TMR_BLK");
    EXPECT_EQ(fadt_rejection({ .extended_address = 0x10000 }), "FACP X_PM_TMR_BLK");

    FakeMemory memory;
    memory.put(0x7000, table_bytes("APIC", std::vector<uint8_t>(100, 0)));
    auto apic = acpi::read_table(memory, 0x7000, nullptr);
    ASSERT_TRUE(apic.has_value());
    EXPECT_FALSE(acpi::parse_fadt(apic.value()).has_value());
}

} // namespace
