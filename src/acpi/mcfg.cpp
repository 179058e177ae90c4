#include "acpi/mcfg.h"

namespace acpi {
namespace {

using lib::fail;

// PCI Firmware 3.2 Table 4-2: 8 reserved bytes after the header, then the
// allocation structures, 16 bytes each (Table 4-3).
constexpr size_t kMcfgFirstEntryOffset = 44;
constexpr size_t kEntrySize = 16;
constexpr size_t kBaseOffset = 0; // 8 bytes
constexpr size_t kSegmentOffset = 8; // 2 bytes
constexpr size_t kStartBusOffset = 10;
constexpr size_t kEndBusOffset = 11;
// PCIe Base 4.0 7.2.2: each bus takes 1 MiB (32 devices x 8 functions x 4 KiB).
constexpr uint64_t kBusWindowSize = uint64_t { 1 } << 20;

bool buses_overlap(const McfgEntry& a, const McfgEntry& b)
{
    return a.segment == b.segment && a.start_bus <= b.end_bus && b.start_bus <= a.end_bus;
}

lib::Result<McfgEntry, AcpiError> read_mcfg_entry(
    const SdtView& table, size_t offset, const McfgLimits& limits)
{
    const uint8_t* bytes = table.bytes + offset;
    McfgEntry entry { read_field<uint64_t>(bytes, kBaseOffset), read_field<uint16_t>(bytes, kSegmentOffset),
        bytes[kStartBusOffset], bytes[kEndBusOffset] };
    if (entry.base == 0)
        return fail(acpi_error("MCFG", "Base Address", "is null", table.physical));
    if (entry.base % kBusWindowSize != 0)
        return fail(acpi_error("MCFG", "Base Address", "is not aligned to 1 MiB", table.physical));
    if (entry.end_bus < entry.start_bus)
        return fail(acpi_error("MCFG", "End Bus Number", "is below the Start Bus Number", table.physical));
    // The last bus's window must end below 2^64 (base + 256 MiB at most).
    uint64_t end = entry.base + (static_cast<uint64_t>(entry.end_bus) + 1) * kBusWindowSize;
    if (end < entry.base)
        return fail(acpi_error(
            "MCFG", "Base Address", "puts the window past the top of the address space", table.physical));
    if (limits.overlaps_ram != nullptr
        && limits.overlaps_ram(entry.window_start(), entry.window_length(), limits.context))
        return fail(acpi_error("MCFG", "Base Address", "puts the window over usable RAM", table.physical));
    return entry;
}

} // namespace

const McfgEntry* Mcfg::entry_for(uint16_t segment, uint8_t bus) const
{
    for (size_t i = 0; i < entry_count; ++i) {
        const McfgEntry& entry = entries[i];
        if (entry.segment == segment && entry.start_bus <= bus && bus <= entry.end_bus)
            return &entry;
    }
    return nullptr;
}

lib::Result<Mcfg, AcpiError> parse_mcfg(const SdtView& table, const McfgLimits& limits)
{
    if (__builtin_memcmp(table.header.signature, kMcfgSignature, 4) != 0)
        return fail(acpi_error(signature_of(table.header).text, "signature", "is not MCFG", table.physical));
    uint32_t length = table.header.length;
    if (length < kMcfgFirstEntryOffset + kEntrySize)
        return fail(
            acpi_error("MCFG", "length", "leaves no room for one allocation structure", table.physical));
    if ((length - kMcfgFirstEntryOffset) % kEntrySize != 0)
        return fail(acpi_error(
            "MCFG", "length", "does not end on a whole 16-byte allocation structure", table.physical));
    size_t count = (length - kMcfgFirstEntryOffset) / kEntrySize;
    if (count > Mcfg::kMaxEntries)
        return fail(acpi_error("MCFG", "length",
            "lists more allocation structures than this reader holds (16)", table.physical));

    Mcfg mcfg {};
    for (size_t i = 0; i < count; ++i) {
        McfgEntry entry = TRY(read_mcfg_entry(table, kMcfgFirstEntryOffset + i * kEntrySize, limits));
        for (size_t j = 0; j < mcfg.entry_count; ++j) {
            if (buses_overlap(entry, mcfg.entries[j]))
                return fail(acpi_error("MCFG", "Start Bus Number",
                    "overlaps another allocation structure's buses in the same segment", table.physical));
        }
        mcfg.entries[mcfg.entry_count++] = entry;
    }
    return mcfg;
}

} // namespace acpi
