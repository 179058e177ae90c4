#include "kernel/acpi_setup.h"

#include "acpi/fadt.h"
#include "acpi/rsdp.h"
#include "acpi/table_directory.h"
#include "arch/page_size.h"
#include "arch/paging.h"
#include "drivers/acpi_pm_timer.h"
#include "kernel/log.h"
#include "mm/direct_map.h"

namespace kernel {
namespace {

using arch::kPageSize;

// Physical memory through the kernel's direct map. The direct map covers
// usable memory; firmware keeps its tables in memory the map calls
// reserved or ACPI, which may lie past it (with SeaBIOS at 4 MiB, just
// above the last usable byte). Such pages are mapped read-only on demand;
// a table anywhere else (outside the memory map, or in usable memory the
// direct map should have covered) is refused rather than read.
class DirectMapMemory final : public acpi::PhysicalMemory {
public:
    explicit DirectMapMemory(const boot::BootInfo& info)
        : m_info(info)
    {
    }

    const uint8_t* view(uint64_t physical, size_t length) const override
    {
        if (length == 0 || physical + length < physical)
            return nullptr;
        for (uint64_t page = physical & ~(kPageSize - 1); page < physical + length; page += kPageSize) {
            if (page == m_last_mapped_page)
                continue;
            if (!arch::look_up_kernel_address(mm::kDirectMapBase + page).mapped) {
                if (!in_firmware_region(page) || !arch::map_firmware_page(page))
                    return nullptr;
                ++m_pages_mapped;
            }
            m_last_mapped_page = page;
        }
        return mm::physical_to_virtual<const uint8_t>(physical);
    }

    size_t pages_mapped() const { return m_pages_mapped; }

private:
    bool in_firmware_region(uint64_t page) const
    {
        for (size_t i = 0; i < m_info.memory_region_count; ++i) {
            const boot::MemoryRegion& region = m_info.memory_regions[i];
            if (region.type != boot::MemoryType::Usable && region.base <= page
                && page + kPageSize <= region.base + region.length)
                return true;
        }
        return false;
    }

    const boot::BootInfo& m_info;
    mutable uint64_t m_last_mapped_page = ~0ull;
    mutable size_t m_pages_mapped = 0;
};

void log_rejected(const acpi::AcpiError& error)
{
    log(LogTag::Acpi, "warning: {} rejected at {:#x}: field {} {}", error.table, error.physical, error.field,
        error.reason);
}

lib::Result<acpi::Rsdp, acpi::AcpiError> find_rsdp(const boot::BootInfo& info, const DirectMapMemory& memory)
{
    if (info.acpi_rsdp != nullptr) {
        size_t size = info.acpi_rsdp_version == 2 ? acpi::kRsdpV2Size : acpi::kRsdpV1Size;
        return acpi::parse_rsdp(static_cast<const uint8_t*>(info.acpi_rsdp), size, 0);
    }
    return acpi::find_rsdp_in_bios_areas(memory);
}

void start_pm_timer(const acpi::TableDirectory& directory, const DirectMapMemory& memory)
{
    const acpi::TableEntry* entry = directory.find(acpi::kFadtSignature);
    if (entry == nullptr) {
        log(LogTag::Acpi, "no FADT: no ACPI PM timer");
        return;
    }
    auto table = acpi::read_table(memory, entry->physical, acpi::kFadtSignature);
    if (!table) {
        log_rejected(table.error());
        return;
    }
    auto fadt = acpi::parse_fadt(table.value());
    if (!fadt) {
        log_rejected(fadt.error());
        log(LogTag::Acpi, "no ACPI PM timer: the FADT was rejected");
        return;
    }
    const acpi::PmTimerRegister& timer = fadt.value().pm_timer;
    if (!timer.present) {
        log(LogTag::Acpi, "FADT names no PM timer (hardware-reduced ACPI)");
        return;
    }
    drivers::init_pm_timer(timer.port, timer.counts_32_bits);
    log(LogTag::Acpi, "PM timer at I/O port {:#x}, {} bits (FADT {}), 3.579545 MHz", timer.port,
        timer.counts_32_bits ? 32 : 24, timer.source);
}

} // namespace

void discover_acpi(const boot::BootInfo& info)
{
    DirectMapMemory memory(info);
    auto rsdp = find_rsdp(info, memory);
    if (!rsdp) {
        const acpi::AcpiError& error = rsdp.error();
        if (info.acpi_rsdp == nullptr && error.physical == 0)
            log(LogTag::Acpi, "no ACPI: no RSDP from the loader, none in the EBDA or 0xE0000-0xFFFFF");
        else
            log_rejected(error);
        return;
    }
    const acpi::Rsdp& root = rsdp.value();
    if (root.physical == 0)
        log(LogTag::Acpi, "RSDP revision {} (OEM '{}'), the loader's copy", root.revision, root.oem_id);
    else
        log(LogTag::Acpi, "RSDP revision {} (OEM '{}') at {:#x}", root.revision, root.oem_id, root.physical);

    auto directory = acpi::read_table_directory(memory, root);
    if (!directory) {
        log_rejected(directory.error());
        return;
    }
    const acpi::TableDirectory& tables = directory.value();
    log(LogTag::Acpi, "{} at {:#x}: {} tables listed", acpi::signature_of(tables.root.header).text,
        tables.root.physical, tables.listed_count);
    for (size_t i = 0; i < tables.table_count; ++i) {
        const acpi::TableEntry& table = tables.tables[i];
        log(LogTag::Acpi, "  {} at {:#x}, {} bytes, revision {}", table.signature.text, table.physical,
            table.length, table.revision);
    }
    for (size_t i = 0; i < tables.rejected_count; ++i)
        log_rejected(tables.rejected[i]);
    start_pm_timer(tables, memory);
    if (memory.pages_mapped() != 0)
        log(LogTag::Acpi, "{} pages of firmware tables past the direct map mapped read-only, no-execute",
            memory.pages_mapped());
}

} // namespace kernel
