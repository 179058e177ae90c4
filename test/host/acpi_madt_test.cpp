// The MADT reader against tables this test builds entry by entry (ACPI 6.4
// 5.2.12): every entry type, entries cut short or past the end, and the
// meaning checks (CPUs, APIC IDs, windows over RAM, GSI ranges, overrides).

#include "acpi/madt.h"
#include "acpi_test_tables.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace acpi_test;
using Bytes = std::vector<uint8_t>;

template <typename T>
void append(Bytes& bytes, T value)
{
    size_t at = bytes.size();
    bytes.resize(at + sizeof(T));
    store<T>(bytes, at, value);
}

Bytes local_apic(uint8_t uid, uint8_t apic_id, uint32_t flags)
{
    Bytes entry { 0, 8, uid, apic_id };
    append<uint32_t>(entry, flags);
    return entry;
}
Bytes io_apic(uint8_t id, uint32_t address, uint32_t gsi_base)
{
    Bytes entry { 1, 12, id, 0 };
    append<uint32_t>(entry, address);
    append<uint32_t>(entry, gsi_base);
    return entry;
}
Bytes interrupt_override(uint8_t bus, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    Bytes entry { 2, 10, bus, irq };
    append<uint32_t>(entry, gsi);
    append<uint16_t>(entry, flags);
    return entry;
}
Bytes nmi_source(uint16_t flags, uint32_t gsi)
{
    Bytes entry { 3, 8 };
    append<uint16_t>(entry, flags);
    append<uint32_t>(entry, gsi);
    return entry;
}
Bytes local_apic_nmi(uint8_t uid, uint16_t flags, uint8_t lint)
{
    Bytes entry { 4, 6, uid };
    append<uint16_t>(entry, flags);
    entry.push_back(lint);
    return entry;
}
Bytes local_apic_address_override(uint64_t address)
{
    Bytes entry { 5, 12, 0, 0 };
    append<uint64_t>(entry, address);
    return entry;
}
Bytes local_x2apic(uint32_t x2apic_id, uint32_t flags, uint32_t uid)
{
    Bytes entry { 9, 16, 0, 0 };
    append<uint32_t>(entry, x2apic_id);
    append<uint32_t>(entry, flags);
    append<uint32_t>(entry, uid);
    return entry;
}
Bytes local_x2apic_nmi(uint16_t flags, uint32_t uid, uint8_t lint)
{
    Bytes entry { 10, 12 };
    append<uint16_t>(entry, flags);
    append<uint32_t>(entry, uid);
    entry.insert(entry.end(), { lint, 0, 0, 0 });
    return entry;
}

Bytes madt_bytes(
    const std::vector<Bytes>& entries, uint32_t local_apic_address = 0xFEE00000, uint32_t flags = 1)
{
    Bytes body;
    append<uint32_t>(body, local_apic_address);
    append<uint32_t>(body, flags);
    for (const Bytes& entry : entries)
        body.insert(body.end(), entry.begin(), entry.end());
    return table_bytes("APIC", body, 5);
}

// QEMU's q35 with four CPUs, as its firmware lays it out.
std::vector<Bytes> typical_entries()
{
    return {
        local_apic(0, 0, 1),
        local_apic(1, 1, 1),
        local_apic(2, 2, 1),
        local_apic(3, 3, 1),
        io_apic(0, 0xFEC00000, 0),
        interrupt_override(0, 0, 2, 0),
        interrupt_override(0, 5, 5, 0xD),
        interrupt_override(0, 9, 9, 0xD),
        local_apic_nmi(0xFF, 0, 1),
    };
}

std::string rejection(const Bytes& table)
{
    auto parsed = acpi::parse_madt(view_of(table));
    return parsed.has_value()
        ? "(accepted)"
        : std::string(parsed.error().table) + " " + parsed.error().field + ": " + parsed.error().reason;
}

struct RamRange {
    uint64_t base;
    uint64_t length;
};
bool overlaps_ram(uint64_t physical, uint64_t length, const void* context)
{
    const auto* ram = static_cast<const RamRange*>(context);
    return physical < ram->base + ram->length && ram->base < physical + length;
}

// The field check_madt names, or "(accepted)".
std::string check_rejection(
    const Bytes& table, const uint32_t* counts = nullptr, RamRange ram = { 0, 0x8000000 })
{
    auto parsed = acpi::parse_madt(view_of(table));
    EXPECT_TRUE(parsed.has_value()) << rejection(table);
    if (!parsed)
        return "(not parsed)";
    acpi::MadtLimits limits { overlaps_ram, &ram, counts };
    auto checked = acpi::check_madt(parsed.value(), 0x7000, limits);
    if (checked)
        return "(accepted)";
    EXPECT_EQ(checked.error().physical, 0x7000u);
    return std::string(checked.error().table) + " " + checked.error().field;
}

TEST(AcpiMadt, ReadsEveryEntryType)
{
    auto table = madt_bytes({
        local_apic(0, 0, 1), local_apic(1, 4, 2), // online capable, not enabled
        local_x2apic(300, 1, 7), io_apic(2, 0xFEC00000, 0), io_apic(3, 0xFEC01000, 24),
        interrupt_override(0, 0, 2, 0), interrupt_override(0, 9, 9, 0xF), nmi_source(0x5, 30),
        local_apic_nmi(0xFF, 0xD, 1), local_x2apic_nmi(0x1, 7, 0), local_apic_address_override(0x1'FEE0'0000),
        { 0x7F, 5, 1, 2, 3 }, // a type this reader does not know
    });
    auto parsed = acpi::parse_madt(view_of(table));
    ASSERT_TRUE(parsed.has_value()) << rejection(table);
    const acpi::Madt& madt = parsed.value();
    EXPECT_TRUE(madt.pc_at_compatible);
    EXPECT_EQ(madt.local_apic_address, 0x1'FEE0'0000u);
    EXPECT_TRUE(madt.local_apic_address_overridden);

    ASSERT_EQ(madt.processor_count, 3u);
    EXPECT_EQ(madt.enabled_processor_count(), 2u);
    EXPECT_EQ(madt.processors[0].apic_id, 0u);
    EXPECT_EQ(madt.processors[0].entry_offset, 44u);
    EXPECT_EQ(madt.processors[1].apic_id, 4u);
    EXPECT_EQ(madt.processors[1].acpi_uid, 1u);
    EXPECT_FALSE(madt.processors[1].enabled);
    EXPECT_TRUE(madt.processors[1].online_capable);
    EXPECT_EQ(madt.processors[2].apic_id, 300u);
    EXPECT_EQ(madt.processors[2].acpi_uid, 7u);
    EXPECT_TRUE(madt.processors[2].from_x2apic_entry);
    EXPECT_EQ(madt.processors[2].entry_offset, 60u);

    ASSERT_EQ(madt.io_apic_count, 2u);
    EXPECT_EQ(madt.io_apics[1].id, 3);
    EXPECT_EQ(madt.io_apics[1].address, 0xFEC01000u);
    EXPECT_EQ(madt.io_apics[1].gsi_base, 24u);

    ASSERT_EQ(madt.override_count, 2u);
    EXPECT_EQ(madt.overrides[1].source_irq, 9);
    EXPECT_EQ(madt.overrides[1].polarity, acpi::Polarity::ActiveLow);
    EXPECT_EQ(madt.overrides[1].trigger, acpi::TriggerMode::Level);

    ASSERT_EQ(madt.nmi_source_count, 1u);
    EXPECT_EQ(madt.nmi_sources[0].gsi, 30u);
    EXPECT_EQ(madt.nmi_sources[0].polarity, acpi::Polarity::ActiveHigh);
    EXPECT_EQ(madt.nmi_sources[0].trigger, acpi::TriggerMode::Edge);

    ASSERT_EQ(madt.local_apic_nmi_count, 2u);
    EXPECT_EQ(madt.local_apic_nmis[0].acpi_uid, acpi::MadtLocalApicNmi::kAllProcessors);
    EXPECT_EQ(madt.local_apic_nmis[0].lint, 1);
    EXPECT_EQ(madt.local_apic_nmis[0].polarity, acpi::Polarity::ActiveHigh);
    EXPECT_EQ(madt.local_apic_nmis[0].trigger, acpi::TriggerMode::Level);
    EXPECT_EQ(madt.local_apic_nmis[1].acpi_uid, 7u);
    EXPECT_EQ(madt.local_apic_nmis[1].lint, 0);

    EXPECT_EQ(madt.unknown_entry_count, 1u);
}

TEST(AcpiMadt, RoutesIsaIrqsThroughTheirOverrides)
{
    auto parsed = acpi::parse_madt(view_of(madt_bytes(typical_entries())));
    ASSERT_TRUE(parsed.has_value());
    const acpi::Madt& madt = parsed.value();
    EXPECT_EQ(madt.route_isa_irq(0).gsi, 2u);
    EXPECT_EQ(madt.route_isa_irq(9).gsi, 9u);
    EXPECT_EQ(madt.route_isa_irq(9).trigger, acpi::TriggerMode::Level);
    EXPECT_EQ(madt.route_isa_irq(9).polarity, acpi::Polarity::ActiveHigh);
    for (uint8_t irq : { 1, 4, 8, 12, 14 }) {
        auto route = madt.route_isa_irq(irq);
        EXPECT_EQ(route.gsi, irq);
        EXPECT_EQ(route.source_irq, irq);
        EXPECT_EQ(route.polarity, acpi::Polarity::Conforming);
        EXPECT_EQ(route.trigger, acpi::TriggerMode::Conforming);
    }
    EXPECT_EQ(madt.local_apic_address, 0xFEE00000u);
    EXPECT_FALSE(madt.local_apic_address_overridden);
}

TEST(AcpiMadt, RejectsEntriesThatBreakTheTablesStructure)
{
    auto entries = typical_entries();
    EXPECT_EQ(rejection(madt_bytes(entries)), "(accepted)");

    auto zero_length = entries;
    zero_length[2][1] = 0;
    EXPECT_EQ(rejection(madt_bytes(zero_length)), "APIC entry Length: is under 2");
    auto one_length = entries;
    one_length[2][1] = 1;
    EXPECT_EQ(rejection(madt_bytes(one_length)), "APIC entry Length: is under 2");

    auto past_end = entries;
    past_end.back()[1] = 40;
    EXPECT_EQ(rejection(madt_bytes(past_end)), "APIC entry Length: runs past the table's end");

    auto cut_io_apic = entries;
    cut_io_apic[4].resize(10);
    cut_io_apic[4][1] = 10;
    EXPECT_EQ(
        rejection(madt_bytes(cut_io_apic)), "APIC I/O APIC Length: is shorter than its entry type's size");
    auto cut_x2apic = local_x2apic(5, 1, 5);
    cut_x2apic.resize(12);
    cut_x2apic[1] = 12;
    EXPECT_EQ(rejection(madt_bytes({ cut_x2apic })),
        "APIC Processor Local x2APIC Length: is shorter than its entry type's size");

    auto dangling_byte = madt_bytes(entries);
    dangling_byte.push_back(0);
    store<uint32_t>(dangling_byte, 4, static_cast<uint32_t>(dangling_byte.size()));
    fix_checksum(dangling_byte, 9, dangling_byte.size());
    EXPECT_EQ(rejection(dangling_byte), "APIC entry Type: an entry header runs past the table's end");

    Bytes short_header = table_bytes("APIC", { 0, 0, 0xE0, 0xFE });
    EXPECT_EQ(rejection(short_header), "APIC length: is shorter than the 44-byte MADT header");
    EXPECT_EQ(rejection(table_bytes("FACP", Bytes(8, 0))), "FACP signature: is not APIC");

    auto two_overrides = entries;
    two_overrides.push_back(local_apic_address_override(0xFEE00000));
    two_overrides.push_back(local_apic_address_override(0xFEE00000));
    EXPECT_EQ(rejection(madt_bytes(two_overrides)), "APIC Local APIC Address Override: appears twice");
}

TEST(AcpiMadt, RejectsMoreEntriesThanItHolds)
{
    std::vector<Bytes> entries;
    for (uint32_t i = 0; i < acpi::Madt::kMaxProcessors; ++i)
        entries.push_back(local_x2apic(i, 1, i));
    EXPECT_EQ(rejection(madt_bytes(entries)), "(accepted)");
    entries.push_back(local_apic(0, 0, 1));
    EXPECT_EQ(
        rejection(madt_bytes(entries)), "APIC Processor Local APIC: more entries than this reader holds");
}

TEST(AcpiMadt, ChecksWhatTheTableSaysAgainstTheMachine)
{
    auto entries = typical_entries();
    EXPECT_EQ(check_rejection(madt_bytes(entries)), "(accepted)");

    EXPECT_EQ(
        check_rejection(madt_bytes({ local_apic(0, 0, 0), local_apic(1, 1, 2), io_apic(0, 0xFEC00000, 0) })),
        "APIC Processor Local APIC Flags");
    EXPECT_EQ(check_rejection(madt_bytes({ io_apic(0, 0xFEC00000, 0) })), "APIC Processor Local APIC Flags");

    auto duplicate = entries;
    duplicate.push_back(local_apic(4, 2, 1));
    EXPECT_EQ(check_rejection(madt_bytes(duplicate)), "APIC APIC ID");
    auto duplicate_x2 = entries;
    duplicate_x2.push_back(local_x2apic(3, 2, 9)); // online capable counts too
    EXPECT_EQ(check_rejection(madt_bytes(duplicate_x2)), "APIC X2APIC ID");
    auto absent_placeholders = entries;
    absent_placeholders.push_back(local_apic(4, 0xFF, 0));
    absent_placeholders.push_back(local_apic(5, 0xFF, 0));
    EXPECT_EQ(check_rejection(madt_bytes(absent_placeholders)), "(accepted)");

    auto io_apic_in_ram = entries;
    io_apic_in_ram[4] = io_apic(0, 0x100000, 0);
    EXPECT_EQ(check_rejection(madt_bytes(io_apic_in_ram)), "APIC I/O APIC Address");
    // The window is a page: one ending a byte into RAM overlaps it.
    EXPECT_EQ(check_rejection(madt_bytes(entries), nullptr, { 0xFEC00FFF, 1 }), "APIC I/O APIC Address");
    EXPECT_EQ(check_rejection(madt_bytes(entries), nullptr, { 0xFEC01000, 1 }), "(accepted)");
    EXPECT_EQ(check_rejection(madt_bytes(entries, 0x200000)), "APIC Local Interrupt Controller Address");
    auto lapic_override_in_ram = entries;
    lapic_override_in_ram.push_back(local_apic_address_override(0x300000));
    EXPECT_EQ(check_rejection(madt_bytes(lapic_override_in_ram)), "APIC Local APIC Address Override");

    auto null_io_apic = entries;
    null_io_apic[4] = io_apic(0, 0, 0);
    EXPECT_EQ(check_rejection(madt_bytes(null_io_apic)), "APIC I/O APIC Address");
    auto same_window = entries;
    same_window.push_back(io_apic(1, 0xFEC00400, 24));
    EXPECT_EQ(check_rejection(madt_bytes(same_window)), "APIC I/O APIC Address");
    auto same_id = entries;
    same_id.push_back(io_apic(0, 0xFEC10000, 24));
    EXPECT_EQ(check_rejection(madt_bytes(same_id)), "APIC I/O APIC ID");

    auto two = entries;
    two.push_back(io_apic(1, 0xFEC10000, 16));
    const uint32_t overlapping[] = { 24, 24 };
    const uint32_t adjacent[] = { 16, 24 };
    EXPECT_EQ(check_rejection(madt_bytes(two), overlapping), "APIC Global System Interrupt Base");
    EXPECT_EQ(check_rejection(madt_bytes(two), adjacent), "(accepted)");
    EXPECT_EQ(check_rejection(madt_bytes(two)), "(accepted)"); // counts unknown: not judged

    auto unserved = entries;
    unserved.push_back(interrupt_override(0, 11, 40, 0));
    const uint32_t one[] = { 24 };
    EXPECT_EQ(
        check_rejection(madt_bytes(unserved), one), "APIC Interrupt Source Override Global System Interrupt");
    EXPECT_EQ(check_rejection(madt_bytes(unserved)), "(accepted)");
    const uint32_t wide[] = { 41 };
    EXPECT_EQ(check_rejection(madt_bytes(unserved), wide), "(accepted)");

    auto not_isa = entries;
    not_isa.push_back(interrupt_override(1, 11, 11, 0));
    EXPECT_EQ(check_rejection(madt_bytes(not_isa)), "APIC Interrupt Source Override Bus");
    for (uint16_t flags : { 0x2, 0x8, 0xA }) {
        auto reserved = entries;
        reserved.push_back(interrupt_override(0, 11, 11, flags));
        EXPECT_EQ(check_rejection(madt_bytes(reserved)), "APIC Interrupt Source Override Flags") << flags;
    }
    auto reserved_nmi = entries;
    reserved_nmi.push_back(nmi_source(0x2, 20));
    EXPECT_EQ(check_rejection(madt_bytes(reserved_nmi)), "APIC NMI Source Flags");
    auto reserved_lint = entries;
    reserved_lint.push_back(local_x2apic_nmi(0x8, 0, 1));
    EXPECT_EQ(check_rejection(madt_bytes(reserved_lint)), "APIC Local APIC NMI Flags");
    auto bad_lint = entries;
    bad_lint.push_back(local_apic_nmi(0, 0, 2));
    EXPECT_EQ(check_rejection(madt_bytes(bad_lint)), "APIC Local APIC LINT#");
}

} // namespace
