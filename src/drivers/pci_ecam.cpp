#include "drivers/pci_ecam.h"

#include "arch/page_size.h"
#include "arch/paging.h"
#include "kernel/panic.h"

namespace drivers::pci {
namespace {

// PCIe Base 4.0 7.2.2, Table 7-1: the address bits of an ECAM access.
constexpr unsigned kBusShift = 20;
constexpr unsigned kDeviceShift = 15;
constexpr unsigned kFunctionShift = 12;
constexpr uint64_t kBusWindowSize = uint64_t { 1 } << kBusShift;

uint64_t bus_window(uint8_t bus)
{
    return arch::kEcamWindowBase + (static_cast<uint64_t>(bus) << kBusShift);
}

} // namespace

void EcamConfigAccess::configure(const acpi::McfgEntry& entry)
{
    if (m_buses_mapped != 0)
        PANIC("ECAM configured again with {} buses mapped", m_buses_mapped);
    m_entry = entry;
}

void EcamConfigAccess::unmap_all()
{
    for (size_t bus = 0; bus < kBusCount; ++bus) {
        if (!m_mapped[bus])
            continue;
        // The frames were the device's, never RAM: nothing to give back.
        for (uint64_t page = 0; page < kBusWindowSize; page += arch::kPageSize)
            arch::unmap_kernel_page(bus_window(static_cast<uint8_t>(bus)) + page);
        m_mapped[bus] = false;
    }
    m_buses_mapped = 0;
}

bool EcamConfigAccess::reaches_bus(uint8_t bus)
{
    if (bus < m_entry.start_bus || bus > m_entry.end_bus)
        return false;
    if (m_mapped[bus])
        return true;
    uint64_t physical = m_entry.base + (static_cast<uint64_t>(bus) << kBusShift);
    for (uint64_t page = 0; page < kBusWindowSize; page += arch::kPageSize) {
        if (!arch::map_device_page(bus_window(bus) + page, physical + page)) {
            for (uint64_t mapped = 0; mapped < page; mapped += arch::kPageSize)
                arch::unmap_kernel_page(bus_window(bus) + mapped);
            return false;
        }
    }
    m_mapped[bus] = true;
    ++m_buses_mapped;
    return true;
}

volatile uint32_t* EcamConfigAccess::dword(PciAddress function, uint16_t offset) const
{
    // Every access the enumeration makes is to a bus it reached; anything
    // else is a caller's bug, not input.
    if (!m_mapped[function.bus] || offset >= kExtendedConfigSpaceSize || offset % 4 != 0)
        PANIC("ECAM access to {:02x}:{:02x}.{:x} offset {:#x}: bus not mapped or offset invalid",
            function.bus, function.device, function.function, offset);
    uint64_t address = bus_window(function.bus) + (static_cast<uint64_t>(function.device) << kDeviceShift)
        + (static_cast<uint64_t>(function.function) << kFunctionShift) + offset;
    return reinterpret_cast<volatile uint32_t*>(address);
}

uint32_t EcamConfigAccess::read32(PciAddress function, uint16_t offset)
{
    return *dword(function, offset);
}

void EcamConfigAccess::write32(PciAddress function, uint16_t offset, uint32_t value)
{
    *dword(function, offset) = value;
}

} // namespace drivers::pci
