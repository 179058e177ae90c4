#include "drivers/pci_enumeration.h"

namespace drivers::pci {
namespace {

// The buses still to scan, each at most once over the whole walk.
class BusQueue {
public:
    BridgeProblem add(ConfigAccess& access, uint8_t bus)
    {
        if (m_seen[bus])
            return BridgeProblem::AlreadyScanned;
        m_seen[bus] = true;
        if (!access.reaches_bus(bus))
            return BridgeProblem::OutOfReach;
        m_pending[m_count++] = bus;
        return BridgeProblem::None;
    }

    bool take(uint8_t& bus)
    {
        if (m_count == 0)
            return false;
        bus = m_pending[--m_count];
        return true;
    }

private:
    bool m_seen[kBusCount] = {};
    uint8_t m_pending[kBusCount] = {};
    size_t m_count = 0;
};

void follow(ConfigAccess& access, PciFunction& bridge, BusQueue& queue, EnumerationSummary& summary)
{
    uint8_t secondary = bridge.bridge.secondary_bus;
    bridge.bridge.problem = secondary == 0 ? BridgeProblem::NotNumbered : queue.add(access, secondary);
    if (bridge.bridge.problem != BridgeProblem::None)
        ++summary.bridges_not_followed;
}

// The functions of one device: 0, and 1-7 when 0 says it has more.
bool scan_device(
    ConfigAccess& access, PciAddress first, BusQueue& queue, FunctionSink& sink, EnumerationSummary& summary)
{
    if (is_absent(read16(access, first, offset::kVendorId)))
        return true;
    bool multi_function = HeaderType(read8(access, first, offset::kHeaderType)).multi_function();
    uint8_t count = multi_function ? kFunctionsPerDevice : 1;
    for (uint8_t number = 0; number < count; ++number) {
        PciAddress address { first.bus, first.device, number };
        if (number != 0 && is_absent(read16(access, address, offset::kVendorId)))
            continue;
        PciFunction function = read_function(access, address);
        if (function.is_bridge())
            follow(access, function, queue, summary);
        if (!sink.add(function)) {
            summary.sink_full = true;
            return false;
        }
        ++summary.functions;
    }
    return true;
}

} // namespace

EnumerationSummary enumerate(ConfigAccess& access, uint8_t root_bus, FunctionSink& sink)
{
    EnumerationSummary summary {};
    BusQueue queue;
    if (queue.add(access, root_bus) != BridgeProblem::None)
        return summary;
    uint8_t bus = 0;
    while (queue.take(bus)) {
        ++summary.buses;
        for (uint8_t device = 0; device < kDevicesPerBus; ++device) {
            if (!scan_device(access, { bus, device, 0 }, queue, sink, summary))
                return summary;
        }
    }
    return summary;
}

} // namespace drivers::pci
