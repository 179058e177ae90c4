#include "acpi/madt.h"

namespace acpi {
namespace {

using lib::fail;

// ACPI 6.4 Table 5.19: the fields after the common header.
constexpr size_t kLocalApicAddressOffset = 36; // 4 bytes
constexpr size_t kMadtFlagsOffset = 40; // 4 bytes
constexpr size_t kMadtFirstEntryOffset = 44;
constexpr uint32_t kPcAtCompatible = 1u << 0;

// ACPI 6.4 Table 5.21: interrupt controller structure types, and (Tables
// 5.22-5.34) each one's length.
enum class EntryType : uint8_t {
    LocalApic = 0,
    IoApic = 1,
    InterruptOverride = 2,
    NmiSource = 3,
    LocalApicNmi = 4,
    LocalApicAddressOverride = 5,
    LocalX2Apic = 9,
    LocalX2ApicNmi = 10,
};

struct EntryLayout {
    EntryType type;
    uint8_t length;
    const char* name; // the field named when its entry is cut short
};
constexpr EntryLayout kEntryLayouts[] = {
    { EntryType::LocalApic, 8, "Processor Local APIC Length" },
    { EntryType::IoApic, 12, "I/O APIC Length" },
    { EntryType::InterruptOverride, 10, "Interrupt Source Override Length" },
    { EntryType::NmiSource, 8, "NMI Source Length" },
    { EntryType::LocalApicNmi, 6, "Local APIC NMI Length" },
    { EntryType::LocalApicAddressOverride, 12, "Local APIC Address Override Length" },
    { EntryType::LocalX2Apic, 16, "Processor Local x2APIC Length" },
    { EntryType::LocalX2ApicNmi, 12, "Local x2APIC NMI Length" },
};

const EntryLayout* layout_of(uint8_t type)
{
    for (const EntryLayout& layout : kEntryLayouts) {
        if (static_cast<uint8_t>(layout.type) == type)
            return &layout;
    }
    return nullptr;
}

// Local APIC flags (ACPI 6.4 Table 5.23).
constexpr uint32_t kProcessorEnabled = 1u << 0;
constexpr uint32_t kProcessorOnlineCapable = 1u << 1;
// Type 4's UID that means every processor.
constexpr uint8_t kAllProcessorsUid8 = 0xFF;
// Both APIC register windows are one page.
constexpr uint64_t kApicWindowSize = 4096;
constexpr uint8_t kReservedInti = 2;

Polarity polarity_of(uint16_t inti_flags)
{
    return static_cast<Polarity>(inti_flags & 0x3);
}
TriggerMode trigger_of(uint16_t inti_flags)
{
    return static_cast<TriggerMode>((inti_flags >> 2) & 0x3);
}

// Appends to a fixed array, or says which entry kind overflowed.
template <typename T, size_t N>
lib::Result<T*, AcpiError> next_slot(T (&items)[N], size_t& count, const char* field, uint64_t physical)
{
    if (count == N)
        return fail(acpi_error("APIC", field, "more entries than this reader holds", physical));
    return &items[count++];
}

lib::Result<void, AcpiError> read_madt_entry(
    Madt& madt, const uint8_t* entry, uint32_t offset, uint64_t physical)
{
    switch (static_cast<EntryType>(entry[0])) {
    case EntryType::LocalApic:
    case EntryType::LocalX2Apic: {
        bool x2 = entry[0] == static_cast<uint8_t>(EntryType::LocalX2Apic);
        auto* slot = TRY(next_slot(madt.processors, madt.processor_count, "Processor Local APIC", physical));
        auto flags = read_field<uint32_t>(entry, x2 ? 8 : 4);
        *slot = MadtProcessor {
            x2 ? read_field<uint32_t>(entry, 4) : entry[3],
            x2 ? read_field<uint32_t>(entry, 12) : entry[2],
            (flags & kProcessorEnabled) != 0,
            (flags & kProcessorOnlineCapable) != 0,
            x2,
            offset,
        };
        return {};
    }
    case EntryType::IoApic: {
        auto* slot = TRY(next_slot(madt.io_apics, madt.io_apic_count, "I/O APIC", physical));
        *slot = MadtIoApic { entry[2], read_field<uint32_t>(entry, 4), read_field<uint32_t>(entry, 8) };
        return {};
    }
    case EntryType::InterruptOverride: {
        auto* slot
            = TRY(next_slot(madt.overrides, madt.override_count, "Interrupt Source Override", physical));
        auto flags = read_field<uint16_t>(entry, 8);
        *slot = MadtInterruptOverride { entry[2], entry[3], read_field<uint32_t>(entry, 4),
            polarity_of(flags), trigger_of(flags) };
        return {};
    }
    case EntryType::NmiSource: {
        auto* slot = TRY(next_slot(madt.nmi_sources, madt.nmi_source_count, "NMI Source", physical));
        auto flags = read_field<uint16_t>(entry, 2);
        *slot = MadtNmiSource { read_field<uint32_t>(entry, 4), polarity_of(flags), trigger_of(flags) };
        return {};
    }
    case EntryType::LocalApicNmi:
    case EntryType::LocalX2ApicNmi: {
        bool x2 = entry[0] == static_cast<uint8_t>(EntryType::LocalX2ApicNmi);
        auto* slot
            = TRY(next_slot(madt.local_apic_nmis, madt.local_apic_nmi_count, "Local APIC NMI", physical));
        auto flags = read_field<uint16_t>(entry, x2 ? 2 : 3);
        uint32_t uid = x2 ? read_field<uint32_t>(entry, 4) : entry[2];
        if (!x2 && uid == kAllProcessorsUid8)
            uid = MadtLocalApicNmi::kAllProcessors;
        *slot = MadtLocalApicNmi { uid, entry[x2 ? 8 : 5], polarity_of(flags), trigger_of(flags) };
        return {};
    }
    case EntryType::LocalApicAddressOverride:
        // ACPI 6.4 5.2.12.8: at most one; when present it replaces the
        // header's 32-bit address.
        if (madt.local_apic_address_overridden)
            return fail(acpi_error("APIC", "Local APIC Address Override", "appears twice", physical));
        madt.local_apic_address = read_field<uint64_t>(entry, 4);
        madt.local_apic_address_overridden = true;
        return {};
    }
    ++madt.unknown_entry_count;
    return {};
}

bool windows_overlap(uint64_t a, uint64_t a_length, uint64_t b, uint64_t b_length)
{
    return a < b + b_length && b < a + a_length;
}

bool inti_is_reserved(Polarity polarity, TriggerMode trigger)
{
    return static_cast<uint8_t>(polarity) == kReservedInti || static_cast<uint8_t>(trigger) == kReservedInti;
}

} // namespace

size_t Madt::enabled_processor_count() const
{
    size_t enabled = 0;
    for (size_t i = 0; i < processor_count; ++i)
        enabled += processors[i].enabled ? 1 : 0;
    return enabled;
}

MadtInterruptOverride Madt::route_isa_irq(uint8_t irq) const
{
    for (size_t i = 0; i < override_count; ++i) {
        if (overrides[i].bus == 0 && overrides[i].source_irq == irq)
            return overrides[i];
    }
    return MadtInterruptOverride { 0, irq, irq, Polarity::Conforming, TriggerMode::Conforming };
}

const MadtIoApic* Madt::io_apic_for_gsi(uint32_t gsi, const uint32_t* io_apic_entry_counts) const
{
    for (size_t i = 0; i < io_apic_count; ++i) {
        uint64_t base = io_apics[i].gsi_base;
        if (gsi >= base && gsi < base + io_apic_entry_counts[i])
            return &io_apics[i];
    }
    return nullptr;
}

lib::Result<void, AcpiError> parse_madt_into(const SdtView& table, Madt& madt)
{
    madt = Madt {};
    uint32_t length = table.header.length;
    if (__builtin_memcmp(table.header.signature, kMadtSignature, 4) != 0)
        return fail(acpi_error(signature_of(table.header).text, "signature", "is not APIC", table.physical));
    if (length < kMadtFirstEntryOffset)
        return fail(acpi_error("APIC", "length", "is shorter than the 44-byte MADT header", table.physical));
    madt.local_apic_address = read_field<uint32_t>(table.bytes, kLocalApicAddressOffset);
    madt.pc_at_compatible = (read_field<uint32_t>(table.bytes, kMadtFlagsOffset) & kPcAtCompatible) != 0;

    for (uint32_t offset = kMadtFirstEntryOffset; offset < length;) {
        if (length - offset < 2)
            return fail(acpi_error(
                "APIC", "entry Type", "an entry header runs past the table's end", table.physical));
        const uint8_t* entry = table.bytes + offset;
        uint8_t entry_length = entry[1];
        if (entry_length < 2)
            return fail(acpi_error("APIC", "entry Length", "is under 2", table.physical));
        if (entry_length > length - offset)
            return fail(acpi_error("APIC", "entry Length", "runs past the table's end", table.physical));
        const EntryLayout* layout = layout_of(entry[0]);
        if (layout != nullptr && entry_length < layout->length)
            return fail(
                acpi_error("APIC", layout->name, "is shorter than its entry type's size", table.physical));
        TRY(read_madt_entry(madt, entry, offset, table.physical));
        offset += entry_length;
    }
    return {};
}

lib::Result<Madt, AcpiError> parse_madt(const SdtView& table)
{
    Madt madt;
    TRY(parse_madt_into(table, madt));
    return madt;
}

lib::Result<void, AcpiError> check_madt(const Madt& madt, uint64_t table_physical, const MadtLimits& limits)
{
    auto reject = [&](const char* field, const char* reason) {
        return fail(acpi_error("APIC", field, reason, table_physical));
    };

    if (madt.enabled_processor_count() == 0)
        return reject("Processor Local APIC Flags", "no processor is enabled");
    for (size_t i = 0; i < madt.processor_count; ++i) {
        const MadtProcessor& a = madt.processors[i];
        if (!a.enabled && !a.online_capable)
            continue;
        for (size_t j = i + 1; j < madt.processor_count; ++j) {
            const MadtProcessor& b = madt.processors[j];
            if ((b.enabled || b.online_capable) && a.apic_id == b.apic_id)
                return reject(
                    b.from_x2apic_entry ? "X2APIC ID" : "APIC ID", "two processors have the same one");
        }
    }

    bool (*overlaps_ram)(uint64_t, uint64_t, const void*) = limits.overlaps_ram;
    if (overlaps_ram != nullptr && overlaps_ram(madt.local_apic_address, kApicWindowSize, limits.context))
        return reject(madt.local_apic_address_overridden ? "Local APIC Address Override"
                                                         : "Local Interrupt Controller Address",
            "the local APIC's window overlaps RAM");
    for (size_t i = 0; i < madt.io_apic_count; ++i) {
        const MadtIoApic& io_apic = madt.io_apics[i];
        if (io_apic.address == 0)
            return reject("I/O APIC Address", "is null");
        if (overlaps_ram != nullptr && overlaps_ram(io_apic.address, kApicWindowSize, limits.context))
            return reject("I/O APIC Address", "the I/O APIC's window overlaps RAM");
        for (size_t j = i + 1; j < madt.io_apic_count; ++j) {
            if (windows_overlap(io_apic.address, kApicWindowSize, madt.io_apics[j].address, kApicWindowSize))
                return reject("I/O APIC Address", "two I/O APICs' windows overlap");
            if (io_apic.id == madt.io_apics[j].id)
                return reject("I/O APIC ID", "two I/O APICs have the same one");
        }
    }

    const uint32_t* counts = limits.io_apic_entry_counts;
    if (counts != nullptr) {
        for (size_t i = 0; i < madt.io_apic_count; ++i) {
            for (size_t j = i + 1; j < madt.io_apic_count; ++j) {
                if (windows_overlap(
                        madt.io_apics[i].gsi_base, counts[i], madt.io_apics[j].gsi_base, counts[j]))
                    return reject("Global System Interrupt Base", "two I/O APICs serve the same GSIs");
            }
        }
    }

    for (size_t i = 0; i < madt.override_count; ++i) {
        const MadtInterruptOverride& entry = madt.overrides[i];
        if (entry.bus != 0)
            return reject("Interrupt Source Override Bus", "is not 0 (ISA)");
        if (inti_is_reserved(entry.polarity, entry.trigger))
            return reject(
                "Interrupt Source Override Flags", "polarity or trigger mode has the reserved value 2");
        if (counts != nullptr && madt.io_apic_for_gsi(entry.gsi, counts) == nullptr)
            return reject("Interrupt Source Override Global System Interrupt", "no I/O APIC serves it");
    }
    for (size_t i = 0; i < madt.nmi_source_count; ++i) {
        if (inti_is_reserved(madt.nmi_sources[i].polarity, madt.nmi_sources[i].trigger))
            return reject("NMI Source Flags", "polarity or trigger mode has the reserved value 2");
    }
    for (size_t i = 0; i < madt.local_apic_nmi_count; ++i) {
        const MadtLocalApicNmi& entry = madt.local_apic_nmis[i];
        if (inti_is_reserved(entry.polarity, entry.trigger))
            return reject("Local APIC NMI Flags", "polarity or trigger mode has the reserved value 2");
        if (entry.lint > 1)
            return reject("Local APIC LINT#", "is neither 0 nor 1");
    }
    return {};
}

} // namespace acpi
