#include "acpi/fadt.h"

namespace acpi {
namespace {

using lib::fail;

// ACPI 6.4 Table 5.9: byte offsets of the fields read here.
constexpr size_t kPmTimerBlockOffset = 76; // PM_TMR_BLK, 4 bytes
constexpr size_t kPmTimerLengthOffset = 91; // PM_TMR_LEN, 1 byte
constexpr size_t kFlagsOffset = 112; // Flags, 4 bytes
constexpr size_t kExtendedPmTimerBlockOffset = 208; // X_PM_TMR_BLK, a 12-byte GAS
constexpr uint32_t kAcpi1FadtLength = 116; // through Flags
constexpr uint32_t kTimerValueExtended = 1u << 8; // Flags.TMR_VAL_EXT
constexpr uint8_t kPmTimerLength = 4;

// ACPI 6.4 5.2.3.2, Generic Address Structure.
struct [[gnu::packed]] GenericAddress {
    uint8_t address_space; // 0 system memory, 1 system I/O, ...
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;
    uint64_t address;
};
static_assert(sizeof(GenericAddress) == 12);
constexpr uint8_t kSystemIoSpace = 1;

} // namespace

lib::Result<Fadt, AcpiError> parse_fadt(const SdtView& table)
{
    const uint8_t* bytes = table.bytes;
    uint32_t length = table.header.length;
    if (__builtin_memcmp(table.header.signature, kFadtSignature, 4) != 0)
        return fail(acpi_error(signature_of(table.header).text, "signature", "is not FACP", table.physical));
    if (length < kAcpi1FadtLength)
        return fail(
            acpi_error("FACP", "length", "is shorter than the 116-byte ACPI 1.0 FADT", table.physical));

    Fadt fadt {};
    fadt.revision = table.header.revision;
    fadt.length = length;
    PmTimerRegister& timer = fadt.pm_timer;
    timer.counts_32_bits = (read_field<uint32_t>(bytes, kFlagsOffset) & kTimerValueExtended) != 0;

    // ACPI 6.4 5.2.9: a non-zero X_ field is used in preference to its
    // 32-bit counterpart.
    if (length >= kExtendedPmTimerBlockOffset + sizeof(GenericAddress)) {
        auto block = read_field<GenericAddress>(bytes, kExtendedPmTimerBlockOffset);
        if (block.address != 0) {
            if (block.address_space != kSystemIoSpace)
                return fail(acpi_error("FACP", "X_PM_TMR_BLK",
                    "the PM timer is not in the system I/O space (unsupported)", table.physical));
            if (block.address > 0xFFFF)
                return fail(acpi_error("FACP", "X_PM_TMR_BLK", "I/O port above 0xffff", table.physical));
            timer = PmTimerRegister { true, static_cast<uint16_t>(block.address), timer.counts_32_bits,
                "X_PM_TMR_BLK" };
            return fadt;
        }
    }
    auto port = read_field<uint32_t>(bytes, kPmTimerBlockOffset);
    if (port == 0)
        return fadt; // hardware-reduced ACPI: no PM timer
    if (port > 0xFFFF)
        return fail(acpi_error("FACP", "PM_TMR_BLK", "I/O port above 0xffff", table.physical));
    if (bytes[kPmTimerLengthOffset] != kPmTimerLength)
        return fail(acpi_error("FACP", "PM_TMR_LEN", "is not 4 although PM_TMR_BLK is set", table.physical));
    timer = PmTimerRegister { true, static_cast<uint16_t>(port), timer.counts_32_bits, "PM_TMR_BLK" };
    return fadt;
}

} // namespace acpi
