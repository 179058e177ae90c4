#include "acpi/table_directory.h"

namespace acpi {

using lib::fail;

const TableEntry* TableDirectory::find(const char* signature) const
{
    for (size_t i = 0; i < table_count; ++i) {
        if (__builtin_memcmp(tables[i].signature.text, signature, 4) == 0)
            return &tables[i];
    }
    return nullptr;
}

lib::Result<TableDirectory, AcpiError> read_table_directory(const PhysicalMemory& memory, const Rsdp& rsdp)
{
    // ACPI 6.4 5.2.5.3: from revision 2 on, the XSDT is to be used instead
    // of the RSDT when its address is there.
    bool extended = rsdp.revision >= 2 && rsdp.xsdt_address != 0;
    TableDirectory directory {};
    directory.root = TRY(extended ? read_table(memory, rsdp.xsdt_address, "XSDT")
                                  : read_table(memory, rsdp.rsdt_address, "RSDT"));
    size_t entry_size = extended ? sizeof(uint64_t) : sizeof(uint32_t);
    size_t entries_bytes = directory.root.header.length - sizeof(SdtHeader);
    if (entries_bytes % entry_size != 0)
        return fail(acpi_error(
            extended ? "XSDT" : "RSDT", "length", "does not hold whole entries", directory.root.physical));
    directory.listed_count = entries_bytes / entry_size;
    for (size_t i = 0; i < directory.listed_count; ++i) {
        size_t offset = sizeof(SdtHeader) + i * entry_size;
        uint64_t physical = extended ? read_field<uint64_t>(directory.root.bytes, offset)
                                     : read_field<uint32_t>(directory.root.bytes, offset);
        auto table = read_table(memory, physical, nullptr);
        if (!table) {
            if (directory.rejected_count < TableDirectory::kMaxRejected)
                directory.rejected[directory.rejected_count++] = table.error();
            continue;
        }
        if (directory.table_count == TableDirectory::kMaxTables)
            continue;
        const SdtHeader& header = table.value().header;
        TableEntry& entry = directory.tables[directory.table_count++];
        entry = TableEntry { signature_of(header), physical, header.length, header.revision, {} };
        for (size_t c = 0; c < sizeof(header.oem_id); ++c) {
            char character = header.oem_id[c];
            entry.oem_id[c] = (character >= 0x20 && character < 0x7F) ? character : '?';
        }
    }
    return directory;
}

} // namespace acpi
