#include "drivers/pci_config_ports.h"

#include "arch/x86_64/io_port.h"
#include "sync/spinlock.h"

namespace drivers::pci {
namespace {

// CONFIG_ADDRESS (PCI 3.0 Figure 3-1).
struct ConfigAddress : arch::RegisterBits<ConfigAddress, uint32_t> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(dword, 2, 6) // the register number: offset / 4
    REGISTER_FIELD(function, 8, 3)
    REGISTER_FIELD(device, 11, 5)
    REGISTER_FIELD(bus, 16, 8)
    REGISTER_BIT(enable, 31) // a configuration cycle, not a plain I/O access to 0xCFC
};

constexpr arch::IoPort kAddress(kConfigAddressPort);
constexpr arch::IoPort kData(kConfigDataPort);

// The address and data ports are one cursor: an access is both writes or
// reads, never interleaved with another CPU's or an interrupt handler's.
sync::Spinlock g_ports_lock("PCI configuration ports");

void select(PciAddress function, uint16_t offset)
{
    kAddress.write<uint32_t>(ConfigAddress()
                                 .set_enable(true)
                                 .set_bus(function.bus)
                                 .set_device(function.device)
                                 .set_function(function.function)
                                 .set_dword(offset / 4u)
                                 .value());
}

} // namespace

bool PortConfigAccess::present()
{
    sync::SpinlockGuard guard(g_ports_lock);
    auto saved = kAddress.read<uint32_t>();
    uint32_t probe = ConfigAddress().set_enable(true).value();
    kAddress.write<uint32_t>(probe);
    bool kept = kAddress.read<uint32_t>() == probe;
    kAddress.write<uint32_t>(saved);
    return kept;
}

uint32_t PortConfigAccess::read32(PciAddress function, uint16_t offset)
{
    sync::SpinlockGuard guard(g_ports_lock);
    select(function, offset);
    return kData.read<uint32_t>();
}

void PortConfigAccess::write32(PciAddress function, uint16_t offset, uint32_t value)
{
    sync::SpinlockGuard guard(g_ports_lock);
    select(function, offset);
    kData.write<uint32_t>(value);
}

} // namespace drivers::pci
