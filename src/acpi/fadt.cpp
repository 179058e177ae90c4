#include "acpi/fadt.h"

#include "acpi/generic_address.h"

namespace acpi {
namespace {

using lib::fail;

// ACPI 6.4 Table 5.9: byte offsets of the fields read here.
constexpr size_t kPmTimerBlockOffset = 76; // PM_TMR_BLK, 4 bytes
constexpr size_t kPmTimerLengthOffset = 91; // PM_TMR_LEN, 1 byte
constexpr size_t kFadtFlagsOffset = 112; // Flags, 4 bytes
constexpr size_t kExtendedPmTimerBlockOffset = 208; // X_PM_TMR_BLK, a 12-byte GAS
constexpr uint32_t kAcpi1FadtLength = 116; // through Flags
constexpr uint32_t kTimerValueExtended = 1u << 8; // Flags.TMR_VAL_EXT
constexpr uint8_t kPmTimerLength = 4;
constexpr size_t kResetRegisterOffset = 116; // RESET_REG, a 12-byte GAS
constexpr size_t kResetValueOffset = 128; // RESET_VALUE, 1 byte
constexpr uint32_t kResetRegisterSupported = 1u << 10; // Flags.RESET_REG_SUP
constexpr uint8_t kResetRegisterWidth = 8;

// ACPI 6.4 4.8.3.6: an 8-bit register, at bit offset 0, in system memory,
// system I/O or PCI configuration space. Before ACPI 2.0 the FADT ends
// before it and the flag bit was reserved.
lib::Result<ResetRegister, AcpiError> read_reset_register(
    const uint8_t* bytes, uint32_t length, uint64_t physical)
{
    bool supported = (read_field<uint32_t>(bytes, kFadtFlagsOffset) & kResetRegisterSupported) != 0;
    if (!supported || length <= kResetValueOffset)
        return ResetRegister {};
    auto reg = read_field<GenericAddress>(bytes, kResetRegisterOffset);
    if (reg.address_space != kSystemMemorySpace && reg.address_space != kSystemIoSpace
        && reg.address_space != kPciConfigurationSpace)
        return fail(acpi_error(
            "FACP", "RESET_REG", "is not in system memory, system I/O or PCI configuration space", physical));
    if (reg.address == 0)
        return fail(acpi_error("FACP", "RESET_REG", "is null although RESET_REG_SUP is set", physical));
    if (reg.bit_width != kResetRegisterWidth || reg.bit_offset != 0)
        return fail(acpi_error("FACP", "RESET_REG", "is not an 8-bit register at bit offset 0", physical));
    if (reg.address_space == kSystemIoSpace && reg.address > 0xFFFF)
        return fail(acpi_error("FACP", "RESET_REG", "I/O port above 0xffff", physical));
    return ResetRegister { true, reg.address_space, reg.address, bytes[kResetValueOffset] };
}

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
    auto reset = read_reset_register(bytes, length, table.physical);
    if (!reset)
        return fail(reset.error());
    fadt.reset = reset.value();
    PmTimerRegister& timer = fadt.pm_timer;
    timer.counts_32_bits = (read_field<uint32_t>(bytes, kFadtFlagsOffset) & kTimerValueExtended) != 0;

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
