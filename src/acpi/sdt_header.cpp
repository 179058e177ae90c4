#include "acpi/sdt_header.h"

namespace acpi {

using lib::fail;

Signature signature_of(const SdtHeader& header)
{
    Signature signature { { 0, 0, 0, 0, 0 } };
    for (size_t i = 0; i < 4; ++i) {
        char c = header.signature[i];
        // Messages stay readable whatever the firmware wrote.
        signature.text[i] = (c >= 0x20 && c < 0x7F) ? c : '?';
    }
    return signature;
}

lib::Result<SdtView, AcpiError> read_table(
    const PhysicalMemory& memory, uint64_t physical, const char* expected_signature)
{
    const char* name = expected_signature != nullptr ? expected_signature : "????";
    if (physical == 0)
        return fail(acpi_error(name, "address", "is null", physical));
    const uint8_t* header_bytes = memory.view(physical, sizeof(SdtHeader));
    if (header_bytes == nullptr)
        return fail(acpi_error(name, "address", "the header is outside readable memory", physical));
    SdtView table {};
    table.physical = physical;
    __builtin_memcpy(&table.header, header_bytes, sizeof(SdtHeader));
    Signature found = signature_of(table.header);
    if (expected_signature != nullptr) {
        for (size_t i = 0; i < 4; ++i) {
            if (table.header.signature[i] != expected_signature[i])
                return fail(acpi_error(name, "signature", "is not the one the pointer promised", physical));
        }
    }
    if (table.header.length < sizeof(SdtHeader))
        return fail(acpi_error(found.text, "length", "is shorter than the 36-byte header", physical));
    if (table.header.length > kMaxTableLength)
        return fail(acpi_error(found.text, "length", "is over 1 MiB", physical));
    table.bytes = memory.view(physical, table.header.length);
    if (table.bytes == nullptr)
        return fail(acpi_error(found.text, "length", "runs outside readable memory", physical));
    if (!checksum_is_zero(table.bytes, table.header.length))
        return fail(acpi_error(found.text, "checksum", "the table does not sum to zero", physical));
    return table;
}

} // namespace acpi
