#include "drivers/pci.h"

#include <new>

#include "arch/cpu.h"
#include "arch/paging.h"
#include "drivers/pci_config_ports.h"
#include "drivers/pci_ecam.h"
#include "drivers/pci_enumeration.h"
#include "drivers/pci_listing.h"
#include "kernel/log.h"
#include "lib/format.h"
#include "mm/kernel_heap.h"

namespace drivers {
namespace {

using kernel::log;
using kernel::LogTag;

// Every function found, on the heap: a machine has a handful, a large one
// a few hundred. Filled once at boot and read-only after, so it needs no
// lock.
class FunctionTable final : public pci::FunctionSink {
public:
    bool add(const pci::PciFunction& function) override
    {
        if (m_count == m_capacity && !grow())
            return false;
        new (&m_functions[m_count++]) pci::PciFunction(function);
        return true;
    }

    // Bus, device, function order, as lspci and QEMU list them; the walk
    // finds the buses behind bridges out of that order.
    void sort_by_address()
    {
        for (size_t i = 1; i < m_count; ++i) {
            pci::PciFunction moving = m_functions[i];
            size_t j = i;
            for (; j > 0 && m_functions[j - 1].address.ordinal() > moving.address.ordinal(); --j)
                m_functions[j] = m_functions[j - 1];
            m_functions[j] = moving;
        }
    }

    const pci::PciFunction* functions() const { return m_functions; }
    size_t count() const { return m_count; }

private:
    bool grow()
    {
        size_t capacity = m_capacity == 0 ? 16 : m_capacity * 2;
        auto* larger = static_cast<pci::PciFunction*>(
            mm::kalloc(capacity * sizeof(pci::PciFunction), alignof(pci::PciFunction)));
        if (larger == nullptr)
            return false;
        for (size_t i = 0; i < m_count; ++i)
            new (&larger[i]) pci::PciFunction(m_functions[i]);
        if (m_functions != nullptr)
            mm::kfree(m_functions);
        m_functions = larger;
        m_capacity = capacity;
        return true;
    }

    pci::PciFunction* m_functions = nullptr;
    size_t m_count = 0;
    size_t m_capacity = 0;
};

class LogLines final : public pci::LineSink {
public:
    explicit LogLines(LogTag tag)
        : m_tag(tag)
    {
    }
    void line(lib::StringView text) override { log(m_tag, "{}", text); }

private:
    LogTag m_tag;
};

constinit pci::PortConfigAccess g_ports;
constinit pci::EcamConfigAccess g_ecam;
bool g_ports_present = false;
pci::ConfigAccess* g_access = nullptr;
PciMechanism g_mechanism = PciMechanism::None;
FunctionTable g_table;
char g_summary[320];

const char* plural(size_t count, const char* one, const char* more)
{
    return count == 1 ? one : more;
}

// Segment 0's window with the lowest buses: where bus numbering starts.
const acpi::McfgEntry* segment_zero(const acpi::Mcfg& mcfg)
{
    const acpi::McfgEntry* first = nullptr;
    for (size_t i = 0; i < mcfg.entry_count; ++i) {
        const acpi::McfgEntry& entry = mcfg.entries[i];
        if (entry.segment == 0 && (first == nullptr || entry.start_bus < first->start_bus))
            first = &entry;
    }
    return first;
}

// An MCFG can name a window where nothing (or something else) answers. So
// ECAM must read what mechanism 1 reads at the first function of its first
// bus before the kernel trusts it (where the machine has mechanism 1).
bool ecam_agrees_with_ports(const acpi::McfgEntry& entry)
{
    pci::PciAddress first { entry.start_bus, 0, 0 };
    uint32_t through_ecam = g_ecam.read32(first, pci::offset::kVendorId);
    uint32_t through_ports = g_ports.read32(first, pci::offset::kVendorId);
    // Agreeing that nothing answers proves nothing: the host bridge must.
    if (through_ecam == through_ports && (through_ecam & 0xFFFFu) != 0xFFFFu)
        return true;
    log(LogTag::Pci,
        "warning: ECAM at {:#x} reads {:04x}:{:04x} at {:02x}:00.0 where mechanism 1 reads {:04x}:{:04x}: "
        "not "
        "used",
        entry.base, through_ecam & 0xFFFFu, through_ecam >> 16, entry.start_bus, through_ports & 0xFFFFu,
        through_ports >> 16);
    return false;
}

// ECAM from the MCFG's segment 0 window, or nullptr and why not.
const acpi::McfgEntry* choose_ecam(const PciConfigChoice& choice, const char*& why_not)
{
    why_not = choice.no_ecam_reason;
    if (choice.mcfg == nullptr)
        return nullptr;
    const acpi::McfgEntry* entry = segment_zero(*choice.mcfg);
    if (entry == nullptr) {
        why_not = "the MCFG has no window for segment 0";
        return nullptr;
    }
    // The walk starts at the root bus, 0: a window without it would list
    // nothing (what answers at its first bus is no host bridge).
    if (entry->start_bus != 0) {
        why_not = "segment 0's window does not start at bus 0, the root bus";
        return nullptr;
    }
    // The MCFG's check knows the architecture's limit; this CPU's may be lower.
    uint64_t window_end = entry->base + ((uint64_t { entry->end_bus } + 1) << 20);
    if (window_end > arch::physical_address_limit()) {
        why_not = "its window is past this CPU's physical addresses";
        return nullptr;
    }
    g_ecam.configure(*entry);
    if (!g_ecam.reaches_bus(entry->start_bus)) {
        log(LogTag::Pci, "warning: ECAM at {:#x}: no frame for the page tables that map it", entry->base);
        why_not = "its window could not be mapped";
        return nullptr;
    }
    if (g_ports_present && !ecam_agrees_with_ports(*entry)) {
        g_ecam.unmap_all();
        why_not = "ECAM disagreed with mechanism 1";
        return nullptr;
    }
    return entry;
}

void format_summary(const pci::EnumerationSummary& summary, const acpi::McfgEntry* ecam, const char* why_not)
{
    lib::BufferSink sink(g_summary, sizeof(g_summary));
    lib::format_to(sink, "{} function{} on {} bus{} through ", summary.functions,
        plural(summary.functions, "", "s"), summary.buses, plural(summary.buses, "", "es"));
    if (ecam != nullptr)
        lib::format_to(sink,
            "ECAM at {:#x} (segment 0, buses {:02x}-{:02x}; {} MiB mapped uncached, no-execute at {:#x})",
            ecam->base, ecam->start_bus, ecam->end_bus, g_ecam.buses_mapped(), arch::kEcamWindowBase);
    else
        lib::format_to(sink, "configuration mechanism 1 (ports {:#x}/{:#x}): {}", pci::kConfigAddressPort,
            pci::kConfigDataPort, why_not);
    if (summary.bridges_not_followed != 0)
        lib::format_to(sink, "; {} bridge{} not followed", summary.bridges_not_followed,
            plural(summary.bridges_not_followed, "", "s"));
    if (summary.sink_full)
        lib::format_to(sink, "; no memory for more: the rest not read");
}

void list_functions(LogTag tag)
{
    LogLines lines(tag);
    for (size_t i = 0; i < g_table.count(); ++i)
        pci::list_function(g_table.functions()[i], lines);
}

} // namespace

void init_pci(const PciConfigChoice& choice)
{
    g_ports_present = pci::PortConfigAccess::present();
    const char* why_not = nullptr;
    const acpi::McfgEntry* ecam = choose_ecam(choice, why_not);
    if (ecam != nullptr) {
        g_access = &g_ecam;
        g_mechanism = PciMechanism::Ecam;
    } else if (g_ports_present) {
        g_access = &g_ports;
        g_mechanism = PciMechanism::Ports;
    } else {
        lib::format_to_buffer(g_summary, sizeof(g_summary),
            "no configuration mechanism: {}, and nothing answers at ports {:#x}/{:#x}; no PCI", why_not,
            pci::kConfigAddressPort, pci::kConfigDataPort);
        log(LogTag::Pci, "{}", g_summary);
        return;
    }
    pci::EnumerationSummary summary
        = pci::enumerate(*g_access, ecam != nullptr ? ecam->start_bus : 0, g_table);
    g_table.sort_by_address();
    format_summary(summary, ecam, why_not);
    list_functions(LogTag::Pci);
    log(LogTag::Pci, "{}", g_summary);
}

PciInventory pci_inventory()
{
    return { g_table.functions(), g_table.count(), g_mechanism };
}

pci::ConfigAccess* pci_config_access()
{
    return g_access;
}

pci::ConfigAccess* pci_port_access()
{
    return g_ports_present ? &g_ports : nullptr;
}

void print_pci_functions()
{
    if (g_summary[0] == '\0') {
        log(LogTag::Raw, "PCI not enumerated yet");
        return;
    }
    list_functions(LogTag::Raw);
    log(LogTag::Raw, "{}", g_summary);
}

} // namespace drivers
