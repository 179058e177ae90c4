#pragma once

// The root table that lists all others (ACPI 6.4 5.2.7 RSDT, 5.2.8 XSDT):
// the XSDT (64-bit entries) when the RSDP offers one, else the RSDT. Every
// listed table's header and checksum are checked; a bad one is set aside
// with its reason, and the rest stay usable.

#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi_error.h"
#include "acpi/rsdp.h"
#include "acpi/sdt_header.h"
#include "lib/result.h"

namespace acpi {

struct TableEntry {
    Signature signature;
    uint64_t physical;
    uint32_t length;
    uint8_t revision;
    char oem_id[7]; // the header's six characters, NUL-terminated, unprintable ones as '?'
};

struct TableDirectory {
    static constexpr size_t kMaxTables = 64;
    static constexpr size_t kMaxRejected = 8;

    SdtView root; // RSDT or XSDT
    TableEntry tables[kMaxTables];
    size_t table_count = 0;
    size_t listed_count = 0; // entries in the root, good or bad
    AcpiError rejected[kMaxRejected];
    size_t rejected_count = 0;

    // The first good table with this four-character signature, or nullptr.
    const TableEntry* find(const char* signature) const;
};

// Fails only when the root table itself is bad.
lib::Result<TableDirectory, AcpiError> read_table_directory(const PhysicalMemory& memory, const Rsdp& rsdp);

} // namespace acpi
