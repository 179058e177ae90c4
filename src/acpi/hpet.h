#pragma once

// The HPET description table, signature "HPET" (IA-PC HPET Specification
// 1.0a, 3.2.4): where the High Precision Event Timer's registers are and
// what its block ID promises (comparators, counter width).

#include <stdint.h>

#include "acpi/acpi_error.h"
#include "acpi/sdt_header.h"
#include "lib/result.h"

namespace acpi {

inline constexpr char kHpetSignature[] = "HPET";

struct Hpet {
    uint32_t event_timer_block_id; // the general capabilities register's low 32 bits
    uint16_t pci_vendor_id; // block ID bits 31:16
    bool legacy_replacement_capable; // bit 15
    bool counter_64_bits; // bit 13 (COUNT_SIZE_CAP)
    uint8_t comparator_count; // bits 12:8, plus one
    uint8_t hardware_revision; // bits 7:0
    uint64_t address; // physical, of its 1 KiB register block (system memory)
    uint8_t hpet_number; // which HPET block this table describes
    uint16_t minimum_tick; // the smallest periodic-mode period, in main counter ticks
};

// Rejects a table too short for its fields, a block outside system memory,
// a null or misaligned address, or a block ID with revision 0 (the spec
// says it must not be).
lib::Result<Hpet, AcpiError> parse_hpet(const SdtView& table);

} // namespace acpi
