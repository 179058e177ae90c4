#pragma once

// The header every ACPI system description table starts with (ACPI 6.4
// 5.2.6), and the one reader that checks it: signature, length, checksum.

#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi_error.h"
#include "acpi/physical_memory.h"
#include "lib/result.h"

namespace acpi {

struct [[gnu::packed]] SdtHeader {
    char signature[4];
    uint32_t length; // of the whole table, header included
    uint8_t revision;
    uint8_t checksum; // makes the whole table sum to zero
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
};
static_assert(sizeof(SdtHeader) == 36);

// No table the kernel reads comes near this; a larger length is a corrupt
// field, not a large machine.
inline constexpr uint32_t kMaxTableLength = 1u << 20;

// A table whose header and checksum were checked; bytes covers length.
struct SdtView {
    SdtHeader header;
    const uint8_t* bytes;
    uint64_t physical;
};

// Reads and checks the table at physical. expected_signature (four
// characters) is the signature it must have, or nullptr for any.
lib::Result<SdtView, AcpiError> read_table(
    const PhysicalMemory& memory, uint64_t physical, const char* expected_signature);

// The signature as a NUL-terminated string, for messages.
struct Signature {
    char text[5];
};
Signature signature_of(const SdtHeader& header);

} // namespace acpi
