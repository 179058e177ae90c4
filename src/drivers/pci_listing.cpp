#include "drivers/pci_listing.h"

#include "drivers/pci_names.h"
#include "lib/format.h"

namespace drivers::pci {
namespace {

// The longest line: twelve capabilities of some 50 characters each.
constexpr size_t kLineCapacity = 768;

// One line, formatted piece by piece, handed to the sink when it goes out
// of scope; a line that did not fit ends in " ..." rather than silently.
class Line {
public:
    explicit Line(LineSink& sink)
        : m_sink(sink)
        , m_text(m_buffer, sizeof(m_buffer))
    {
    }
    Line(const Line&) = delete;
    Line& operator=(const Line&) = delete;
    ~Line()
    {
        if (m_text.truncated()) {
            constexpr char kCut[] = " ...";
            size_t length = m_text.view().size();
            for (size_t i = 0; i + 1 < sizeof(kCut); ++i)
                m_buffer[length - (sizeof(kCut) - 1) + i] = kCut[i];
        }
        m_sink.line(m_text.view());
    }

    template <typename... Args>
    Line& add(lib::StringView format, const Args&... args)
    {
        lib::format_to(m_text, format, args...);
        return *this;
    }

private:
    LineSink& m_sink;
    char m_buffer[kLineCapacity];
    lib::BufferSink m_text;
};

char pin_letter(uint8_t pin)
{
    return static_cast<char>('A' + pin - 1);
}

void list_identity(const PciFunction& function, LineSink& sink)
{
    const PciAddress& at = function.address;
    Line line(sink);
    line.add("{:02x}:{:02x}.{:x} {:04x}:{:04x} class {:02x}.{:02x}.{:02x} ({})", at.bus, at.device,
        at.function, function.vendor_id, function.device_id, function.class_code, function.subclass,
        function.programming_interface,
        class_name(function.class_code, function.subclass, function.programming_interface));
    const char* vendor = vendor_name(function.vendor_id);
    line.add(" {}, rev {:02x}", vendor != nullptr ? vendor : "(unknown vendor)", function.revision);
    if (HeaderType(function.header_type).multi_function())
        line.add(", multi-function");
    HeaderLayout layout = function.layout();
    if (layout == HeaderLayout::PciBridge)
        line.add(", PCI-to-PCI bridge header");
    else if (layout == HeaderLayout::CardBusBridge)
        line.add(", CardBus bridge header");
    else if (layout != HeaderLayout::Device)
        line.add(", header layout {:#x} unknown: not read further", static_cast<uint8_t>(layout));
    if (layout == HeaderLayout::Device)
        line.add(", subsystem {:04x}:{:04x}", function.subsystem_vendor_id, function.subsystem_id);
    if (function.interrupt_pin >= 1 && function.interrupt_pin <= 4)
        line.add(", IRQ {} pin {}", function.interrupt_line, pin_letter(function.interrupt_pin));
}

void add_window(Line& line, const char* name, const BridgeWindow& window)
{
    if (window.open())
        line.add(", {} {:#x}-{:#x}", name, window.base, window.limit);
    else
        line.add(", {} none", name);
}

void list_bridge(const PciFunction& function, LineSink& sink)
{
    const BridgeInfo& bridge = function.bridge;
    Line line(sink);
    line.add("  bridge: primary bus {:02x}, secondary bus {:02x}, subordinate bus {:02x}", bridge.primary_bus,
        bridge.secondary_bus, bridge.subordinate_bus);
    if (function.layout() == HeaderLayout::PciBridge) {
        add_window(line, "I/O", bridge.io);
        add_window(line, "memory", bridge.memory);
        add_window(line, "prefetchable", bridge.prefetchable);
    }
    if (bridge.problem != BridgeProblem::None)
        line.add("; not followed: {}", describe(bridge.problem));
}

const char* kind_name(const Bar& bar)
{
    switch (bar.kind) {
    case BarKind::Io:
        return "I/O";
    case BarKind::Memory32:
        return bar.prefetchable ? "32-bit prefetchable memory" : "32-bit memory";
    case BarKind::MemoryBelow1MiB:
        return bar.prefetchable ? "32-bit prefetchable memory below 1 MiB" : "32-bit memory below 1 MiB";
    case BarKind::Memory64:
        return bar.prefetchable ? "64-bit prefetchable memory" : "64-bit memory";
    case BarKind::Rom:
        return "ROM";
    }
    return "?";
}

void list_bar(const Bar& bar, Command command, LineSink& sink)
{
    Line line(sink);
    if (bar.kind == BarKind::Rom)
        line.add("  ROM");
    else
        line.add("  BAR{} {}", bar.slot, kind_name(bar));
    if (bar.address == 0) {
        line.add(" unassigned, size {:#x}", bar.size);
        return;
    }
    line.add(" at {:#x}, size {:#x}", bar.address, bar.size);
    if (bar_decoded(bar, command))
        return;
    if (bar.kind == BarKind::Rom && !bar.rom_enabled)
        line.add(", disabled");
    else
        line.add(", not decoded: {} space off", bar.kind == BarKind::Io ? "I/O" : "memory");
}

void list_bars(const PciFunction& function, LineSink& sink)
{
    const BarList& bars = function.bars;
    for (size_t i = 0; i < bars.count; ++i)
        list_bar(bars.bars[i], Command(function.command), sink);
    if (bars.problem != BarProblem::None)
        Line(sink).add("  warning: BAR{}: {}", bars.problem_slot, describe(bars.problem));
}

void add_capability_column(Line& line, const Capability& capability)
{
    switch (static_cast<CapabilityId>(capability.id)) {
    case CapabilityId::Msi: {
        MsiControl msi(capability.control);
        unsigned vectors = 1u << msi.vectors_capable_log2();
        line.add("MSI ({}-bit{}, {} vector{}, {})", msi.address_64_bits() ? 64 : 32,
            msi.per_vector_masking() ? ", per-vector masking" : "", vectors, vectors == 1 ? "" : "s",
            msi.enabled() ? "on" : "off");
        break;
    }
    case CapabilityId::MsiX: {
        MsiXControl msix(capability.control);
        unsigned vectors = msix.table_size_minus_one() + 1u;
        line.add("MSI-X ({} vector{}, table BAR{}+{:#x}, PBA BAR{}+{:#x}, {})", vectors,
            vectors == 1 ? "" : "s", msix_bar(capability.table), msix_offset(capability.table),
            msix_bar(capability.pending), msix_offset(capability.pending), msix.enabled() ? "on" : "off");
        break;
    }
    case CapabilityId::PciExpress: {
        PciExpressCapabilities express(capability.control);
        const char* type = port_type_name(static_cast<uint8_t>(express.port_type()));
        line.add("PCI Express v{} ", express.version());
        if (type != nullptr)
            line.add("{}", type);
        else
            line.add("port type {:#x}", express.port_type());
        break;
    }
    case CapabilityId::PowerManagement:
        line.add("power management v{}", PowerManagementCapabilities(capability.control).version());
        break;
    case CapabilityId::VendorSpecific:
        line.add("vendor-specific ({} bytes)", capability.control & 0xFFu);
        break;
    default:
        if (const char* name = capability_name(capability.id); name != nullptr)
            line.add("{}", name);
        else
            line.add("capability {:#04x}", capability.id);
        break;
    }
    line.add(" at {:#x}", capability.offset);
}

void add_extended_capability(Line& line, const Capability& capability)
{
    const char* name = extended_capability_name(capability.id);
    if (name != nullptr)
        line.add("{} v{} at {:#x}", name, capability.version, capability.offset);
    else
        line.add(
            "extended capability {:#06x} v{} at {:#x}", capability.id, capability.version, capability.offset);
}

void list_problem(const CapabilityList& list, bool extended, LineSink& sink)
{
    if (list.problem == CapabilityProblem::None)
        return;
    Line line(sink);
    if (extended)
        line.add("  warning: extended capability list: next {:#x} in the header at {:#x} {}", list.pointer,
            list.pointer_at, describe(list.problem, true));
    else
        line.add("  warning: capability list: pointer {:#x} at {:#x} {}", list.pointer, list.pointer_at,
            describe(list.problem, false));
    line.add("; walk stopped after {} capabilit{}", list.count, list.count == 1 ? "y" : "ies");
}

void list_capabilities(const PciFunction& function, LineSink& sink)
{
    const CapabilityList& list = function.capabilities;
    {
        Line line(sink);
        line.add("  capabilities:");
        if (list.count == 0)
            line.add(" none");
        for (size_t i = 0; i < list.count; ++i) {
            line.add(i == 0 ? " " : ", ");
            add_capability_column(line, list.items[i]);
        }
    }
    list_problem(list, false, sink);

    const CapabilityList& extended = function.extended_capabilities;
    if (extended.count != 0) {
        Line line(sink);
        line.add("  extended capabilities:");
        for (size_t i = 0; i < extended.count; ++i) {
            line.add(i == 0 ? " " : ", ");
            add_extended_capability(line, extended.items[i]);
        }
    }
    list_problem(extended, true, sink);
}

} // namespace

void list_function(const PciFunction& function, LineSink& sink)
{
    list_identity(function, sink);
    if (function.is_bridge())
        list_bridge(function, sink);
    list_bars(function, sink);
    list_capabilities(function, sink);
}

} // namespace drivers::pci
