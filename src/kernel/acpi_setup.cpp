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

// Physical memory as far as the kernel's direct map reaches: firmware may
// put its tables in memory the map does not cover, and reading them must
// then be refused rather than fault.
class DirectMapMemory final : public acpi::PhysicalMemory {
public:
    const uint8_t* view(uint64_t physical, size_t length) const override
    {
        if (length == 0 || physical + length < physical)
            return nullptr;
        for (uint64_t page = physical & ~(kPageSize - 1); page < physical + length; page += kPageSize) {
            if (page == m_last_mapped_page)
                continue;
            if (!arch::look_up_kernel_address(mm::kDirectMapBase + page).mapped)
                return nullptr;
            m_last_mapped_page = page;
        }
        return mm::physical_to_virtual<const uint8_t>(physical);
    }

private:
    mutable uint64_t m_last_mapped_page = ~0ull;
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
    DirectMapMemory memory;
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
}

} // namespace kernel
