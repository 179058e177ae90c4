#include "kernel/acpi_setup.h"

#include "acpi/fadt.h"
#include "acpi/generic_address.h"
#include "acpi/rsdp.h"
#include "acpi/table_directory.h"
#include "arch/page_size.h"
#include "arch/paging.h"
#include "drivers/acpi_pm_timer.h"
#include "kernel/log.h"
#include "lib/format.h"
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

// What the rest of the kernel asks for (acpi_setup.h). The MADT is ~6 KiB:
// a static, never a stack's.
acpi::Madt g_madt;
uint64_t g_madt_physical = 0;
bool g_madt_usable = false;
acpi::Hpet g_hpet;
bool g_hpet_usable = false;
acpi::ResetRegister g_reset_register;
acpi::Mcfg g_mcfg;
const char* g_mcfg_absence = "no ACPI tables";

// The listed table with this signature, read and checked, or nothing (a
// table the directory set aside was already reported).
lib::Result<acpi::SdtView, acpi::AcpiError> read_listed(
    const acpi::TableDirectory& directory, const DirectMapMemory& memory, const char* signature)
{
    const acpi::TableEntry* entry = directory.find(signature);
    if (entry == nullptr)
        return lib::fail(acpi::acpi_error(signature, "signature", "no such table is listed", 0));
    return acpi::read_table(memory, entry->physical, signature);
}

void read_fadt(const acpi::TableDirectory& directory, const DirectMapMemory& memory)
{
    if (directory.find(acpi::kFadtSignature) == nullptr) {
        log(LogTag::Acpi, "no FADT: no ACPI PM timer");
        return;
    }
    auto table = read_listed(directory, memory, acpi::kFadtSignature);
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
    const acpi::ResetRegister& reset = fadt.value().reset;
    if (reset.supported) {
        g_reset_register = reset;
        const char* space = reset.address_space == acpi::kSystemMemorySpace ? "memory"
            : reset.address_space == acpi::kSystemIoSpace                   ? "I/O port"
                                                                            : "PCI configuration";
        log(LogTag::Acpi, "reset register: write {:#x} to {} {:#x}", reset.value, space, reset.address);
    } else {
        log(LogTag::Acpi, "FADT offers no reset register");
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

bool overlaps_usable_memory(uint64_t physical, uint64_t length, const void* context)
{
    const auto& info = *static_cast<const boot::BootInfo*>(context);
    boot::PhysicalRange window { physical, physical + length };
    for (const boot::MemoryRegion& region : info.usable_regions()) {
        if (window.overlaps({ region.base, region.base + region.length }))
            return true;
    }
    return false;
}

const char* plural(size_t count)
{
    return count == 1 ? "" : "s";
}

const char* polarity_name(acpi::Polarity polarity)
{
    return polarity == acpi::Polarity::ActiveHigh ? " active high"
        : polarity == acpi::Polarity::ActiveLow   ? " active low"
                                                  : "";
}

const char* trigger_name(acpi::TriggerMode trigger)
{
    return trigger == acpi::TriggerMode::Edge ? " edge" : trigger == acpi::TriggerMode::Level ? " level" : "";
}

// One line: the CPUs, the I/O APICs, the ISA overrides, the local APIC.
void log_madt_summary(const acpi::Madt& madt)
{
    static char line[1536];
    lib::BufferSink sink(line, sizeof(line));
    lib::format_to(sink, "MADT: {} CPU{} ({} enabled, APIC IDs", madt.processor_count,
        plural(madt.processor_count), madt.enabled_processor_count());
    for (size_t i = 0; i < madt.processor_count; ++i) {
        if (madt.processors[i].enabled)
            lib::format_to(sink, " {}", madt.processors[i].apic_id);
    }
    lib::format_to(sink, "), {} I/O APIC{}", madt.io_apic_count, plural(madt.io_apic_count));
    for (size_t i = 0; i < madt.io_apic_count; ++i) {
        const acpi::MadtIoApic& io_apic = madt.io_apics[i];
        lib::format_to(sink, "{}ID {} at {:#x}, GSI {}-", i == 0 ? " (" : "; ", io_apic.id, io_apic.address,
            io_apic.gsi_base);
    }
    lib::format_to(sink, "{}, {} override{}", madt.io_apic_count != 0 ? ")" : "", madt.override_count,
        plural(madt.override_count));
    for (size_t i = 0; i < madt.override_count; ++i) {
        const acpi::MadtInterruptOverride& entry = madt.overrides[i];
        lib::format_to(sink, "{}IRQ {} -> GSI {}{}{}", i == 0 ? " (" : ", ", entry.source_irq, entry.gsi,
            polarity_name(entry.polarity), trigger_name(entry.trigger));
    }
    lib::format_to(sink, "{}, local APIC at {:#x}{}", madt.override_count != 0 ? ")" : "",
        madt.local_apic_address, madt.local_apic_address_overridden ? " (override)" : "");
    log(LogTag::Acpi, "{}{}", sink.view(), sink.truncated() ? " ..." : "");
}

void read_madt(
    const acpi::TableDirectory& directory, const DirectMapMemory& memory, const boot::BootInfo& info)
{
    if (directory.find(acpi::kMadtSignature) == nullptr)
        return;
    auto table = read_listed(directory, memory, acpi::kMadtSignature);
    if (!table) {
        log_rejected(table.error());
        return;
    }
    auto parsed = acpi::parse_madt_into(table.value(), g_madt);
    if (!parsed) {
        log_rejected(parsed.error());
        return;
    }
    acpi::MadtLimits limits { overlaps_usable_memory, &info, nullptr };
    auto checked = acpi::check_madt(g_madt, table.value().physical, limits);
    if (!checked) {
        log_rejected(checked.error());
        return;
    }
    g_madt_usable = true;
    g_madt_physical = table.value().physical;
    log_madt_summary(g_madt);
}

void read_hpet(const acpi::TableDirectory& directory, const DirectMapMemory& memory)
{
    if (directory.find(acpi::kHpetSignature) == nullptr) {
        log(LogTag::Acpi, "no HPET table");
        return;
    }
    auto table = read_listed(directory, memory, acpi::kHpetSignature);
    auto hpet = table ? acpi::parse_hpet(table.value()) : lib::fail(table.error());
    if (!hpet) {
        log_rejected(hpet.error());
        log(LogTag::Acpi, "no HPET: its table was rejected");
        return;
    }
    g_hpet = hpet.value();
    g_hpet_usable = true;
    log(LogTag::Acpi,
        "HPET at {:#x}: {} comparators, {}-bit counter, {}legacy-replacement capable, minimum tick {}, HPET "
        "number {}",
        g_hpet.address, g_hpet.comparator_count, g_hpet.counter_64_bits ? 64 : 32,
        g_hpet.legacy_replacement_capable ? "" : "not ", g_hpet.minimum_tick, g_hpet.hpet_number);
}

bool set_aside(const acpi::TableDirectory& directory, const char* signature)
{
    for (size_t i = 0; i < directory.rejected_count; ++i) {
        if (__builtin_memcmp(directory.rejected[i].table, signature, 4) == 0)
            return true;
    }
    return false;
}

void read_mcfg(
    const acpi::TableDirectory& directory, const DirectMapMemory& memory, const boot::BootInfo& info)
{
    if (directory.find(acpi::kMcfgSignature) == nullptr) {
        // One the directory set aside (its header or checksum) was reported there.
        if (set_aside(directory, acpi::kMcfgSignature)) {
            g_mcfg_absence = "the MCFG was rejected";
            log(LogTag::Acpi, "no ECAM: the MCFG was rejected");
        } else {
            g_mcfg_absence = "no MCFG table";
            log(LogTag::Acpi, "no MCFG table: no ECAM");
        }
        return;
    }
    auto table = read_listed(directory, memory, acpi::kMcfgSignature);
    acpi::McfgLimits limits { overlaps_usable_memory, &info };
    auto mcfg = table ? acpi::parse_mcfg(table.value(), limits) : lib::fail(table.error());
    if (!mcfg) {
        log_rejected(mcfg.error());
        g_mcfg_absence = "the MCFG was rejected";
        log(LogTag::Acpi, "no ECAM: the MCFG was rejected");
        return;
    }
    g_mcfg = mcfg.value();
    static char line[512];
    lib::BufferSink sink(line, sizeof(line));
    lib::format_to(sink, "MCFG: {} ECAM window{}", g_mcfg.entry_count, plural(g_mcfg.entry_count));
    for (size_t i = 0; i < g_mcfg.entry_count; ++i) {
        const acpi::McfgEntry& entry = g_mcfg.entries[i];
        lib::format_to(sink, "{}segment {} buses {:02x}-{:02x} at {:#x}", i == 0 ? " (" : "; ", entry.segment,
            entry.start_bus, entry.end_bus, entry.window_start());
    }
    log(LogTag::Acpi, "{}){}", sink.view(), sink.truncated() ? " ..." : "");
}

void read_tables(const boot::BootInfo& info, const DirectMapMemory& memory)
{
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
        log(LogTag::Acpi, "  {} at {:#x}, {} bytes, revision {}, OEM '{}'", table.signature.text,
            table.physical, table.length, table.revision, table.oem_id);
    }
    for (size_t i = 0; i < tables.rejected_count; ++i)
        log_rejected(tables.rejected[i]);
    read_fadt(tables, memory);
    read_madt(tables, memory, info);
    read_hpet(tables, memory);
    read_mcfg(tables, memory, info);
}

} // namespace

void discover_acpi(const boot::BootInfo& info)
{
    DirectMapMemory memory(info);
    read_tables(info, memory);
    if (!g_madt_usable)
        log(LogTag::Acpi, "no usable MADT: one CPU, no I/O APIC");
    if (memory.pages_mapped() != 0)
        log(LogTag::Acpi, "{} pages of firmware tables past the direct map mapped read-only, no-execute",
            memory.pages_mapped());
}

const acpi::Madt* platform_madt()
{
    return g_madt_usable ? &g_madt : nullptr;
}

bool check_madt_against_io_apics(const uint32_t* io_apic_entry_counts)
{
    if (!g_madt_usable)
        return false;
    // The windows over RAM were checked when the table was read.
    acpi::MadtLimits limits { nullptr, nullptr, io_apic_entry_counts };
    auto checked = acpi::check_madt(g_madt, g_madt_physical, limits);
    if (checked)
        return true;
    log_rejected(checked.error());
    log(LogTag::Acpi, "no usable MADT: one CPU, no I/O APIC");
    g_madt_usable = false;
    return false;
}

uint64_t platform_madt_physical()
{
    return g_madt_usable ? g_madt_physical : 0;
}

const acpi::Hpet* platform_hpet()
{
    return g_hpet_usable ? &g_hpet : nullptr;
}

const acpi::Mcfg* platform_mcfg()
{
    return g_mcfg.entry_count != 0 ? &g_mcfg : nullptr;
}

const char* platform_mcfg_absence()
{
    return g_mcfg_absence;
}

const acpi::ResetRegister* platform_reset_register()
{
    return g_reset_register.supported ? &g_reset_register : nullptr;
}

} // namespace kernel
