#pragma once

// The PCI Express memory-mapped configuration table, signature "MCFG" (PCI
// Firmware Specification 3.2, 4.1.2, Tables 4-2 and 4-3): where each PCI
// segment's enhanced configuration access mechanism (ECAM) window lies and
// which buses it covers. Bus b's 1 MiB of configuration space starts at
// base + (b << 20), for b from start_bus to end_bus (PCIe Base 4.0, 7.2.2).

#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi_error.h"
#include "acpi/sdt_header.h"
#include "lib/result.h"

namespace acpi {

inline constexpr char kMcfgSignature[] = "MCFG";

// One Configuration Space Base Address Allocation Structure.
struct McfgEntry {
    uint64_t base; // where bus 0's space would start, even when start_bus is not 0
    uint16_t segment; // PCI Segment Group Number
    uint8_t start_bus;
    uint8_t end_bus;

    // The window's first byte and its length: the buses it covers, 1 MiB each.
    uint64_t window_start() const { return base + (static_cast<uint64_t>(start_bus) << 20); }
    uint64_t window_length() const { return static_cast<uint64_t>(end_bus - start_bus + 1) << 20; }
};

struct Mcfg {
    static constexpr size_t kMaxEntries = 16;
    McfgEntry entries[kMaxEntries];
    size_t entry_count;

    // The entry of that segment that covers bus, or nullptr.
    const McfgEntry* entry_for(uint16_t segment, uint8_t bus) const;
};

// What the kernel knows that the table does not.
struct McfgLimits {
    // Whether [physical, physical + length) overlaps usable RAM.
    bool (*overlaps_ram)(uint64_t physical, uint64_t length, const void* context);
    const void* context;
};

// Rejects, naming the field: a table too short for one entry or not ending
// on a whole entry, more entries than kMaxEntries, a null base or one not
// aligned to 1 MiB, an end bus below the start bus, a window that wraps
// past 2^64 or lies over usable RAM, and two entries of one segment whose
// buses overlap.
lib::Result<Mcfg, AcpiError> parse_mcfg(const SdtView& table, const McfgLimits& limits);

} // namespace acpi
