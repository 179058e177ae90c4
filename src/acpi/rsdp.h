#pragma once

// The Root System Description Pointer (ACPI 6.4 5.2.5): where the tables
// start. A loader hands a copy in a Multiboot2 tag; without one, a BIOS
// machine has it in the EBDA's first KiB or in 0xE0000-0xFFFFF.

#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi_error.h"
#include "acpi/physical_memory.h"
#include "lib/result.h"

namespace acpi {

// ACPI 6.4 Table 5.3: the 1.0 structure is 20 bytes, the 2.0+ one 36.
inline constexpr size_t kRsdpV1Size = 20;
inline constexpr size_t kRsdpV2Size = 36;

struct Rsdp {
    uint8_t revision; // 0 for ACPI 1.0, 2 from ACPI 2.0 on
    char oem_id[7]; // NUL-terminated
    uint32_t rsdt_address;
    uint64_t xsdt_address; // 0 before revision 2
    uint64_t physical; // where it was found; 0 for the loader's copy
};

// Checks signature, checksum, and from revision 2 on the length and the
// extended checksum; at most available bytes at bytes are read.
lib::Result<Rsdp, AcpiError> parse_rsdp(const uint8_t* bytes, size_t available, uint64_t physical);

// ACPI 6.4 5.2.5.1: the 16-byte boundaries of the EBDA's first KiB (its
// segment is the word at physical 0x40E), then of 0xE0000-0xFFFFF.
lib::Result<Rsdp, AcpiError> find_rsdp_in_bios_areas(const PhysicalMemory& memory);

} // namespace acpi
