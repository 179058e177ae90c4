#include "acpi/hpet.h"

#include "acpi/generic_address.h"

namespace acpi {
namespace {

using lib::fail;

// HPET 1.0a Table 3: byte offsets of the fields after the common header.
constexpr size_t kBlockIdOffset = 36; // 4 bytes
constexpr size_t kBaseAddressOffset = 40; // a 12-byte GAS
constexpr size_t kHpetNumberOffset = 52; // 1 byte
constexpr size_t kMinimumTickOffset = 53; // 2 bytes
constexpr uint32_t kHpetTableLength = 56; // through the page protection byte
// HPET 1.0a 2.3.1: the register block is 1 KiB, aligned to it.
constexpr uint64_t kRegisterBlockAlignment = 1024;

} // namespace

lib::Result<Hpet, AcpiError> parse_hpet(const SdtView& table)
{
    if (__builtin_memcmp(table.header.signature, kHpetSignature, 4) != 0)
        return fail(acpi_error(signature_of(table.header).text, "signature", "is not HPET", table.physical));
    if (table.header.length < kHpetTableLength)
        return fail(acpi_error("HPET", "length", "is shorter than the 56-byte HPET table", table.physical));
    auto block = read_field<GenericAddress>(table.bytes, kBaseAddressOffset);
    if (block.address_space != kSystemMemorySpace)
        return fail(acpi_error("HPET", "BASE_ADDRESS", "is not in system memory", table.physical));
    if (block.address == 0)
        return fail(acpi_error("HPET", "BASE_ADDRESS", "is null", table.physical));
    if (block.address % kRegisterBlockAlignment != 0)
        return fail(
            acpi_error("HPET", "BASE_ADDRESS", "is not aligned to the 1 KiB register block", table.physical));

    Hpet hpet {};
    hpet.event_timer_block_id = read_field<uint32_t>(table.bytes, kBlockIdOffset);
    uint32_t id = hpet.event_timer_block_id;
    hpet.hardware_revision = static_cast<uint8_t>(id & 0xFF);
    if (hpet.hardware_revision == 0)
        return fail(acpi_error("HPET", "Event Timer Block ID", "has hardware revision 0", table.physical));
    hpet.comparator_count = static_cast<uint8_t>(((id >> 8) & 0x1F) + 1);
    hpet.counter_64_bits = (id & (1u << 13)) != 0;
    hpet.legacy_replacement_capable = (id & (1u << 15)) != 0;
    hpet.pci_vendor_id = static_cast<uint16_t>(id >> 16);
    hpet.address = block.address;
    hpet.hpet_number = table.bytes[kHpetNumberOffset];
    hpet.minimum_tick = read_field<uint16_t>(table.bytes, kMinimumTickOffset);
    return hpet;
}

} // namespace acpi
