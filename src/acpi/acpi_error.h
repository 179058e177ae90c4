#pragma once

// Why ACPI firmware data was rejected: the table (by signature, or "RSDP"),
// the field that is wrong, and where the table lies in physical memory.

#include <stdint.h>

namespace acpi {

struct AcpiError {
    char table[5]; // signature, NUL-terminated ("RSDP", "XSDT", "FACP", ...)
    const char* field;
    const char* reason;
    uint64_t physical; // where the table starts; 0 for the loader's copy of the RSDP
};

inline AcpiError acpi_error(const char* table, const char* field, const char* reason, uint64_t physical)
{
    AcpiError error { { 0, 0, 0, 0, 0 }, field, reason, physical };
    for (int i = 0; i < 4 && table[i] != '\0'; ++i)
        error.table[i] = table[i];
    return error;
}

} // namespace acpi
