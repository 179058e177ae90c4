// libFuzzer target for the ACPI table readers (built with clang by
// test/host/meson.build, run for a bounded time by the 'fuzz' suite). The
// first byte picks what the rest is: a MADT, HPET, FADT or MCFG (signature set and
// checksum made right here, so the fuzzer spends its time past them), or
// physical memory holding an XSDT and the tables it lists. Any input is
// either rejected with a reason or yields a result whose invariants hold,
// checked against an independent walk of the same bytes.

#include <cstdint>
#include <cstring>
#include <vector>

#include "acpi/fadt.h"
#include "acpi/hpet.h"
#include "acpi/madt.h"
#include "acpi/mcfg.h"
#include "acpi/table_directory.h"

namespace {

void check(bool condition)
{
    if (!condition)
        __builtin_trap();
}

constexpr uint64_t kBase = 0x10000; // where the input's bytes sit in "physical memory"

class BufferMemory final : public acpi::PhysicalMemory {
public:
    BufferMemory(const uint8_t* bytes, size_t size)
        : m_bytes(bytes)
        , m_size(size)
    {
    }
    const uint8_t* view(uint64_t physical, size_t length) const override
    {
        if (physical < kBase || physical - kBase > m_size || length > m_size - (physical - kBase))
            return nullptr;
        return m_bytes + (physical - kBase);
    }

private:
    const uint8_t* m_bytes;
    size_t m_size;
};

void fix_checksum(std::vector<uint8_t>& bytes, uint32_t length)
{
    bytes[9] = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < length; ++i)
        sum = static_cast<uint8_t>(sum + bytes[i]);
    bytes[9] = static_cast<uint8_t>(-sum);
}

bool overlaps_low_ram(uint64_t physical, uint64_t length, const void*)
{
    // RAM is [1 MiB, 256 MiB) here; the APIC windows sit far above it.
    return physical < 0x10000000 && physical + length > 0x100000;
}

void check_inti(acpi::Polarity polarity, acpi::TriggerMode trigger)
{
    check(static_cast<uint8_t>(polarity) <= 3 && static_cast<uint8_t>(trigger) <= 3);
}

// The MADT's result against a walk of its entries done here.
void check_madt_result(const acpi::SdtView& table, const acpi::Madt& madt)
{
    check(madt.processor_count <= acpi::Madt::kMaxProcessors);
    check(madt.io_apic_count <= acpi::Madt::kMaxIoApics);
    check(madt.override_count <= acpi::Madt::kMaxOverrides);
    check(madt.nmi_source_count <= acpi::Madt::kMaxNmiSources);
    check(madt.local_apic_nmi_count <= acpi::Madt::kMaxLocalApicNmis);
    check(madt.enabled_processor_count() <= madt.processor_count);

    uint32_t length = table.header.length;
    size_t counts[256] = {};
    bool address_override = false;
    for (uint32_t offset = 44; offset < length; offset += table.bytes[offset + 1]) {
        check(length - offset >= 2 && table.bytes[offset + 1] >= 2
            && table.bytes[offset + 1] <= length - offset);
        uint8_t type = table.bytes[offset];
        ++counts[type];
        if (type == 5) {
            uint64_t address;
            std::memcpy(&address, table.bytes + offset + 4, 8);
            check(madt.local_apic_address == address);
            address_override = true;
        }
    }
    check(madt.processor_count == counts[0] + counts[9]);
    check(madt.io_apic_count == counts[1]);
    check(madt.override_count == counts[2]);
    check(madt.nmi_source_count == counts[3]);
    check(madt.local_apic_nmi_count == counts[4] + counts[10]);
    check(madt.local_apic_address_overridden == address_override && counts[5] <= 1);
    size_t unknown = 0;
    for (size_t type = 0; type < 256; ++type) {
        if (type > 5 && type != 9 && type != 10)
            unknown += counts[type];
    }
    check(madt.unknown_entry_count == unknown);
    if (!address_override) {
        uint32_t address;
        std::memcpy(&address, table.bytes + 36, 4);
        check(madt.local_apic_address == address);
    }

    // Every processor came from an entry inside the table that says so.
    for (size_t i = 0; i < madt.processor_count; ++i) {
        const acpi::MadtProcessor& processor = madt.processors[i];
        uint32_t offset = processor.entry_offset;
        uint32_t size = processor.from_x2apic_entry ? 16 : 8;
        check(offset >= 44 && offset <= length && size <= length - offset);
        check(table.bytes[offset] == (processor.from_x2apic_entry ? 9 : 0));
        check(table.bytes[offset + 1] >= size);
        uint32_t id = 0;
        if (processor.from_x2apic_entry)
            std::memcpy(&id, table.bytes + offset + 4, 4);
        else
            id = table.bytes[offset + 3];
        check(processor.apic_id == id);
        if (i > 0)
            check(madt.processors[i - 1].entry_offset < offset);
    }
    for (size_t i = 0; i < madt.override_count; ++i)
        check_inti(madt.overrides[i].polarity, madt.overrides[i].trigger);
    for (size_t i = 0; i < madt.nmi_source_count; ++i)
        check_inti(madt.nmi_sources[i].polarity, madt.nmi_sources[i].trigger);

    // An ISA IRQ without an override arrives on the GSI of its number.
    for (unsigned irq = 0; irq < 256; ++irq) {
        const acpi::MadtInterruptOverride* found = nullptr;
        for (size_t i = 0; i < madt.override_count && found == nullptr; ++i) {
            if (madt.overrides[i].bus == 0 && madt.overrides[i].source_irq == irq)
                found = &madt.overrides[i];
        }
        acpi::MadtInterruptOverride route = madt.route_isa_irq(static_cast<uint8_t>(irq));
        check(route.source_irq == irq && route.bus == 0);
        check(found != nullptr ? route.gsi == found->gsi && route.trigger == found->trigger
                               : route.gsi == irq && route.polarity == acpi::Polarity::Conforming
                    && route.trigger == acpi::TriggerMode::Conforming);
    }

    // What check_madt accepts means what it promises.
    uint32_t entry_counts[acpi::Madt::kMaxIoApics];
    for (size_t i = 0; i < acpi::Madt::kMaxIoApics; ++i)
        entry_counts[i] = 24;
    acpi::MadtLimits limits { overlaps_low_ram, nullptr, entry_counts };
    auto checked = acpi::check_madt(madt, table.physical, limits);
    if (!checked) {
        check(checked.error().field != nullptr && checked.error().reason != nullptr);
        check(checked.error().physical == table.physical);
        return;
    }
    check(madt.enabled_processor_count() >= 1);
    check(!overlaps_low_ram(madt.local_apic_address, 4096, nullptr));
    for (size_t i = 0; i < madt.processor_count; ++i) {
        for (size_t j = i + 1; j < madt.processor_count; ++j) {
            if (madt.processors[i].enabled && madt.processors[j].enabled)
                check(madt.processors[i].apic_id != madt.processors[j].apic_id);
        }
    }
    for (size_t i = 0; i < madt.io_apic_count; ++i)
        check(!overlaps_low_ram(madt.io_apics[i].address, 4096, nullptr));
    for (size_t i = 0; i < madt.override_count; ++i) {
        check(madt.overrides[i].bus == 0);
        check(madt.io_apic_for_gsi(madt.overrides[i].gsi, entry_counts) != nullptr);
    }
}

// An accepted MCFG's windows: aligned, in order, off RAM, each segment's
// bus ranges apart, and as many as the table's length says.
void check_mcfg_result(const acpi::SdtView& table)
{
    acpi::McfgLimits limits { overlaps_low_ram, nullptr };
    auto parsed = acpi::parse_mcfg(table, limits);
    if (!parsed) {
        check(parsed.error().field != nullptr && parsed.error().reason != nullptr);
        return;
    }
    const acpi::Mcfg& mcfg = parsed.value();
    check(table.header.length >= 60 && (table.header.length - 44) % 16 == 0);
    check(mcfg.entry_count == (table.header.length - 44) / 16 && mcfg.entry_count <= acpi::Mcfg::kMaxEntries);
    for (size_t i = 0; i < mcfg.entry_count; ++i) {
        const acpi::McfgEntry& entry = mcfg.entries[i];
        check(entry.base != 0 && entry.base % (1u << 20) == 0 && entry.start_bus <= entry.end_bus);
        check(entry.window_start() + entry.window_length() > entry.window_start());
        check(!overlaps_low_ram(entry.window_start(), entry.window_length(), nullptr));
        for (unsigned bus = entry.start_bus; bus <= entry.end_bus; ++bus)
            check(mcfg.entry_for(entry.segment, static_cast<uint8_t>(bus)) == &entry);
        uint64_t base;
        std::memcpy(&base, table.bytes + 44 + 16 * i, 8);
        check(base == entry.base);
    }
}

void fuzz_one_table(uint8_t selector, const uint8_t* data, size_t size)
{
    static const char* const kSignatures[]
        = { acpi::kMadtSignature, acpi::kHpetSignature, acpi::kFadtSignature, acpi::kMcfgSignature };
    const char* signature = kSignatures[selector];
    std::vector<uint8_t> bytes(data, data + size);
    if (bytes.size() >= sizeof(acpi::SdtHeader)) {
        std::memcpy(bytes.data(), signature, 4);
        uint32_t length;
        std::memcpy(&length, bytes.data() + 4, 4);
        if (length >= sizeof(acpi::SdtHeader) && length <= bytes.size())
            fix_checksum(bytes, length);
    }
    BufferMemory memory(bytes.data(), bytes.size());
    auto table = acpi::read_table(memory, kBase, signature);
    if (!table) {
        check(table.error().field != nullptr && table.error().reason != nullptr);
        return;
    }
    const acpi::SdtView& view = table.value();
    check(view.header.length >= sizeof(acpi::SdtHeader) && view.header.length <= bytes.size());
    check(view.bytes == bytes.data());
    if (selector == 0) {
        static acpi::Madt madt; // ~6 KiB: not on the stack
        auto parsed = acpi::parse_madt_into(view, madt);
        if (parsed)
            check_madt_result(view, madt);
        else
            check(parsed.error().field != nullptr && parsed.error().reason != nullptr);
    } else if (selector == 1) {
        auto parsed = acpi::parse_hpet(view);
        if (!parsed)
            return;
        const acpi::Hpet& hpet = parsed.value();
        check(view.header.length >= 56);
        check(hpet.address != 0 && hpet.address % 1024 == 0);
        check(hpet.comparator_count >= 1 && hpet.comparator_count <= 32 && hpet.hardware_revision != 0);
    } else if (selector == 3) {
        check_mcfg_result(view);
    } else {
        auto parsed = acpi::parse_fadt(view);
        if (!parsed)
            return;
        const acpi::Fadt& fadt = parsed.value();
        check(fadt.length == view.header.length && fadt.length >= 116);
        if (fadt.reset.supported)
            check(fadt.length >= 129 && fadt.reset.address != 0 && fadt.reset.address_space <= 2);
    }
}

// The rest is physical memory at kBase with an XSDT (or RSDT) at its start.
void fuzz_table_tree(bool extended, const uint8_t* data, size_t size)
{
    BufferMemory memory(data, size);
    acpi::Rsdp rsdp {};
    rsdp.revision = extended ? 2 : 0;
    rsdp.rsdt_address = static_cast<uint32_t>(kBase);
    rsdp.xsdt_address = extended ? kBase : 0;
    auto directory = acpi::read_table_directory(memory, rsdp);
    if (!directory) {
        check(directory.error().field != nullptr && directory.error().reason != nullptr);
        return;
    }
    const acpi::TableDirectory& tables = directory.value();
    size_t entry_size = extended ? 8 : 4;
    check(tables.listed_count == (tables.root.header.length - sizeof(acpi::SdtHeader)) / entry_size);
    check(tables.table_count <= acpi::TableDirectory::kMaxTables);
    check(tables.rejected_count <= acpi::TableDirectory::kMaxRejected);
    check(tables.table_count + tables.rejected_count <= tables.listed_count);
    for (size_t i = 0; i < tables.table_count; ++i) {
        const acpi::TableEntry& entry = tables.tables[i];
        const uint8_t* bytes = memory.view(entry.physical, entry.length);
        check(bytes != nullptr && entry.length >= sizeof(acpi::SdtHeader));
        check(acpi::checksum_is_zero(bytes, entry.length));
        check(tables.find(entry.signature.text) != nullptr);
        check(entry.oem_id[6] == '\0');
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    // 0-2 and 5: one table (MADT, HPET, FADT; MCFG); 3 and 4: a tree.
    uint8_t selector = data[0] % 6;
    // A copy of exactly the input's size: ASan catches any read past it.
    std::vector<uint8_t> rest(data + 1, data + size);
    if (selector < 3 || selector == 5)
        fuzz_one_table(selector == 5 ? 3 : selector, rest.data(), rest.size());
    else
        fuzz_table_tree(selector == 3, rest.data(), rest.size());
    return 0;
}
