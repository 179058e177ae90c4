#include "acpi/rsdp.h"

namespace acpi {
namespace {

using lib::fail;

// ACPI 6.4 Table 5.3: field offsets.
constexpr size_t kSignatureOffset = 0;
constexpr size_t kOemIdOffset = 9;
constexpr size_t kRevisionOffset = 15;
constexpr size_t kRsdtAddressOffset = 16;
constexpr size_t kLengthOffset = 20;
constexpr size_t kXsdtAddressOffset = 24;
constexpr char kSignature[] = "RSD PTR ";

constexpr uint64_t kEbdaSegmentPointer = 0x40E;
constexpr size_t kEbdaSearchBytes = 1024;
constexpr uint64_t kBiosAreaStart = 0xE0000;
constexpr uint64_t kBiosAreaEnd = 0x100000;
constexpr size_t kRsdpAlignment = 16;

bool has_signature(const uint8_t* bytes)
{
    for (size_t i = 0; i < 8; ++i) {
        if (bytes[kSignatureOffset + i] != static_cast<uint8_t>(kSignature[i]))
            return false;
    }
    return true;
}

struct Scan {
    bool found = false;
    Rsdp rsdp {};
    bool saw_bad_candidate = false;
    AcpiError last_error {};
};

// A signature that fails its checksum is not the RSDP (the string can occur
// by chance); the search goes on and remembers why it was passed over.
void scan_area(const PhysicalMemory& memory, uint64_t start, uint64_t end, Scan& scan)
{
    for (uint64_t candidate = start; !scan.found && candidate + kRsdpV1Size <= end;
         candidate += kRsdpAlignment) {
        const uint8_t* bytes = memory.view(candidate, kRsdpV1Size);
        if (bytes == nullptr || !has_signature(bytes))
            continue;
        // A 2.0 structure may run past the area's end; the reader says so.
        size_t available = memory.view(candidate, kRsdpV2Size) != nullptr ? kRsdpV2Size : kRsdpV1Size;
        auto parsed = parse_rsdp(memory.view(candidate, available), available, candidate);
        if (parsed) {
            scan.found = true;
            scan.rsdp = parsed.value();
        } else {
            scan.saw_bad_candidate = true;
            scan.last_error = parsed.error();
        }
    }
}

} // namespace

lib::Result<Rsdp, AcpiError> parse_rsdp(const uint8_t* bytes, size_t available, uint64_t physical)
{
    if (bytes == nullptr || available < kRsdpV1Size)
        return fail(acpi_error("RSDP", "length", "shorter than the 20-byte ACPI 1.0 structure", physical));
    if (!has_signature(bytes))
        return fail(acpi_error("RSDP", "signature", "is not 'RSD PTR '", physical));
    if (!checksum_is_zero(bytes, kRsdpV1Size))
        return fail(acpi_error("RSDP", "checksum", "the first 20 bytes do not sum to zero", physical));

    Rsdp rsdp {};
    rsdp.physical = physical;
    rsdp.revision = bytes[kRevisionOffset];
    for (size_t i = 0; i < 6; ++i)
        rsdp.oem_id[i] = static_cast<char>(bytes[kOemIdOffset + i]);
    rsdp.rsdt_address = read_field<uint32_t>(bytes, kRsdtAddressOffset);
    if (rsdp.revision < 2)
        return rsdp;

    if (available < kRsdpV2Size)
        return fail(acpi_error("RSDP", "length", "revision 2 structure cut short", physical));
    auto length = read_field<uint32_t>(bytes, kLengthOffset);
    if (length < kRsdpV2Size || length > available)
        return fail(acpi_error("RSDP", "length", "is not the 36-byte ACPI 2.0 structure", physical));
    if (!checksum_is_zero(bytes, length))
        return fail(
            acpi_error("RSDP", "extended checksum", "the whole structure does not sum to zero", physical));
    rsdp.xsdt_address = read_field<uint64_t>(bytes, kXsdtAddressOffset);
    return rsdp;
}

lib::Result<Rsdp, AcpiError> find_rsdp_in_bios_areas(const PhysicalMemory& memory)
{
    Scan scan;
    const uint8_t* segment_bytes = memory.view(kEbdaSegmentPointer, sizeof(uint16_t));
    if (segment_bytes != nullptr) {
        uint64_t ebda = static_cast<uint64_t>(read_field<uint16_t>(segment_bytes, 0)) << 4;
        // A zero segment means no EBDA; the first KiB holds the real-mode IVT.
        if (ebda >= 0x400)
            scan_area(memory, ebda, ebda + kEbdaSearchBytes, scan);
    }
    if (!scan.found)
        scan_area(memory, kBiosAreaStart, kBiosAreaEnd, scan);
    if (scan.found)
        return scan.rsdp;
    if (scan.saw_bad_candidate)
        return fail(scan.last_error);
    return fail(acpi_error("RSDP", "signature", "not found in the EBDA or 0xE0000-0xFFFFF", 0));
}

} // namespace acpi
