#pragma once

// Finds every PCI function: each device slot of a bus, every function of a
// multi-function device (header type bit 7), and through each bridge the
// buses behind it, by the secondary bus number the firmware gave it. Pure:
// it only reads (and, sizing BARs, writes) configuration space through a
// ConfigAccess, and hands each function to a FunctionSink.
//
// Bus numbers are the firmware's: a bridge it left unnumbered is reported,
// not numbered here, and a secondary bus reached a second time (a loop, or
// two bridges that claim one bus) is not scanned again.

#include <stddef.h>
#include <stdint.h>

#include "drivers/pci_config_space.h"
#include "drivers/pci_function.h"

namespace drivers::pci {

class FunctionSink {
public:
    // False when it can take no more: the enumeration stops there.
    virtual bool add(const PciFunction& function) = 0;

protected:
    ~FunctionSink() = default;
};

struct EnumerationSummary {
    size_t functions; // handed to the sink
    size_t buses; // scanned
    size_t bridges_not_followed; // each function's bridge.problem says why
    bool sink_full; // the sink refused a function: the rest were not read
};

// Scans root_bus and every bus its bridges lead to. Functions arrive in
// the order found: a bus's devices in order, the buses behind its bridges
// after it.
EnumerationSummary enumerate(ConfigAccess& access, uint8_t root_bus, FunctionSink& sink);

// Whether a vendor ID read means nothing answers: all ones from a master
// abort, and 0, which some bridges return for an empty slot.
constexpr bool is_absent(uint16_t vendor_id)
{
    return vendor_id == kNoVendor || vendor_id == 0;
}

} // namespace drivers::pci
