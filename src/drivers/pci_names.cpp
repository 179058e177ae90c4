#include "drivers/pci_names.h"

#include <stddef.h>

namespace drivers::pci {
namespace {

struct Named {
    uint16_t id;
    const char* name;
};

// PCI-SIG's vendor list (pcisig.com/membership/member-companies), and the
// IDs QEMU's devices carry (QEMU's docs/specs/pci-ids.rst).
constexpr Named kVendors[] = {
    { 0x1000, "Broadcom / LSI" },
    { 0x1002, "AMD / ATI" },
    { 0x1013, "Cirrus Logic" },
    { 0x1022, "AMD" },
    { 0x1033, "NEC" },
    { 0x106B, "Apple" },
    { 0x10DE, "NVIDIA" },
    { 0x10EC, "Realtek" },
    { 0x1234, "QEMU (Bochs display)" },
    { 0x1274, "Ensoniq" },
    { 0x14E4, "Broadcom" },
    { 0x15AD, "VMware" },
    { 0x1AF4, "Red Hat (virtio)" },
    { 0x1B36, "Red Hat (QEMU)" },
    { 0x1D0F, "Amazon" },
    { 0x8086, "Intel" },
};

constexpr uint16_t kAny = 0xFFFF;

struct ClassName {
    uint8_t class_code;
    uint16_t subclass; // kAny: the class's own name
    uint16_t programming_interface; // kAny: the subclass's own name
    const char* name;
};

// PCI Code and ID Assignment Specification 1.11, 1 (base classes 00h-13h).
constexpr ClassName kClasses[] = {
    { 0x00, kAny, kAny, "unclassified" },
    { 0x00, 0x01, kAny, "VGA-compatible (old)" },
    { 0x01, kAny, kAny, "mass storage" },
    { 0x01, 0x00, kAny, "SCSI" },
    { 0x01, 0x01, kAny, "IDE" },
    { 0x01, 0x02, kAny, "floppy" },
    { 0x01, 0x04, kAny, "RAID" },
    { 0x01, 0x05, kAny, "ATA" },
    { 0x01, 0x06, kAny, "SATA" },
    { 0x01, 0x06, 0x01, "SATA AHCI" },
    { 0x01, 0x07, kAny, "SAS" },
    { 0x01, 0x08, kAny, "non-volatile memory" },
    { 0x01, 0x08, 0x02, "NVMe" },
    { 0x01, 0x80, kAny, "other mass storage" },
    { 0x02, kAny, kAny, "network" },
    { 0x02, 0x00, kAny, "Ethernet" },
    { 0x02, 0x80, kAny, "other network" },
    { 0x03, kAny, kAny, "display" },
    { 0x03, 0x00, kAny, "VGA-compatible display" },
    { 0x03, 0x00, 0x00, "VGA" },
    { 0x03, 0x01, kAny, "XGA" },
    { 0x03, 0x02, kAny, "3D display" },
    { 0x03, 0x80, kAny, "other display" },
    { 0x04, kAny, kAny, "multimedia" },
    { 0x04, 0x00, kAny, "video" },
    { 0x04, 0x01, kAny, "audio" },
    { 0x04, 0x03, kAny, "HD Audio" },
    { 0x04, 0x80, kAny, "other multimedia" },
    { 0x05, kAny, kAny, "memory" },
    { 0x06, kAny, kAny, "bridge" },
    { 0x06, 0x00, kAny, "host bridge" },
    { 0x06, 0x01, kAny, "ISA bridge" },
    { 0x06, 0x04, kAny, "PCI-to-PCI bridge" },
    { 0x06, 0x04, 0x01, "PCI-to-PCI bridge, subtractive decode" },
    { 0x06, 0x07, kAny, "CardBus bridge" },
    { 0x06, 0x80, kAny, "other bridge" },
    { 0x07, kAny, kAny, "communication" },
    { 0x07, 0x00, kAny, "serial" },
    { 0x07, 0x00, 0x02, "16550 serial" },
    { 0x07, 0x01, kAny, "parallel" },
    { 0x07, 0x80, kAny, "other communication" },
    { 0x08, kAny, kAny, "system peripheral" },
    { 0x08, 0x00, kAny, "interrupt controller" },
    { 0x08, 0x00, 0x20, "I/O APIC" },
    { 0x08, 0x01, kAny, "DMA controller" },
    { 0x08, 0x02, kAny, "timer" },
    { 0x08, 0x02, 0x03, "HPET" },
    { 0x08, 0x03, kAny, "RTC" },
    { 0x08, 0x05, kAny, "SD host" },
    { 0x08, 0x06, kAny, "IOMMU" },
    { 0x08, 0x80, kAny, "other system peripheral" },
    { 0x09, kAny, kAny, "input" },
    { 0x09, 0x00, kAny, "keyboard" },
    { 0x09, 0x02, kAny, "mouse" },
    { 0x0A, kAny, kAny, "docking station" },
    { 0x0B, kAny, kAny, "processor" },
    { 0x0C, kAny, kAny, "serial bus" },
    { 0x0C, 0x00, kAny, "FireWire" },
    { 0x0C, 0x03, kAny, "USB" },
    { 0x0C, 0x03, 0x00, "USB UHCI" },
    { 0x0C, 0x03, 0x10, "USB OHCI" },
    { 0x0C, 0x03, 0x20, "USB EHCI" },
    { 0x0C, 0x03, 0x30, "USB xHCI" },
    { 0x0C, 0x03, 0xFE, "USB device" },
    { 0x0C, 0x05, kAny, "SMBus" },
    { 0x0D, kAny, kAny, "wireless" },
    { 0x0E, kAny, kAny, "intelligent I/O" },
    { 0x0F, kAny, kAny, "satellite communication" },
    { 0x10, kAny, kAny, "encryption" },
    { 0x11, kAny, kAny, "signal processing" },
    { 0x12, kAny, kAny, "processing accelerator" },
    { 0x13, kAny, kAny, "non-essential instrumentation" },
    { 0xFF, kAny, kAny, "unassigned class" },
};

// PCI Code and ID Assignment Specification 1.11, 2 and 3.
constexpr Named kCapabilities[] = {
    { 0x01, "power management" },
    { 0x02, "AGP" },
    { 0x03, "VPD" },
    { 0x04, "slot identification" },
    { 0x05, "MSI" },
    { 0x06, "CompactPCI hot swap" },
    { 0x07, "PCI-X" },
    { 0x08, "HyperTransport" },
    { 0x09, "vendor-specific" },
    { 0x0A, "debug port" },
    { 0x0B, "CompactPCI central resource control" },
    { 0x0C, "PCI hot-plug" },
    { 0x0D, "bridge subsystem ID" },
    { 0x0E, "AGP 8x" },
    { 0x0F, "secure device" },
    { 0x10, "PCI Express" },
    { 0x11, "MSI-X" },
    { 0x12, "SATA configuration" },
    { 0x13, "advanced features" },
    { 0x14, "enhanced allocation" },
    { 0x15, "flattening portal bridge" },
};

constexpr Named kExtendedCapabilities[] = {
    { 0x0001, "advanced error reporting" },
    { 0x0002, "virtual channel" },
    { 0x0003, "device serial number" },
    { 0x0004, "power budgeting" },
    { 0x0005, "root complex link declaration" },
    { 0x000B, "vendor-specific" },
    { 0x000D, "access control services" },
    { 0x000E, "alternative routing ID" },
    { 0x000F, "address translation services" },
    { 0x0010, "SR-IOV" },
    { 0x0013, "page request" },
    { 0x0015, "resizable BAR" },
    { 0x0017, "TPH requester" },
    { 0x0018, "latency tolerance reporting" },
    { 0x0019, "secondary PCI Express" },
    { 0x001B, "PASID" },
    { 0x001E, "L1 PM substates" },
    { 0x001F, "precision time measurement" },
    { 0x0023, "designated vendor-specific" },
    { 0x0025, "data link feature" },
    { 0x0026, "physical layer 16 GT/s" },
};

// PCIe Base 4.0 7.5.3.2, Device/Port Type.
constexpr Named kPortTypes[] = {
    { 0x0, "endpoint" },
    { 0x1, "legacy endpoint" },
    { 0x4, "root port" },
    { 0x5, "switch upstream port" },
    { 0x6, "switch downstream port" },
    { 0x7, "PCI Express to PCI bridge" },
    { 0x8, "PCI to PCI Express bridge" },
    { 0x9, "root complex integrated endpoint" },
    { 0xA, "root complex event collector" },
};

template <size_t Count>
const char* find(const Named (&table)[Count], uint16_t id)
{
    for (const Named& entry : table) {
        if (entry.id == id)
            return entry.name;
    }
    return nullptr;
}

} // namespace

const char* vendor_name(uint16_t vendor_id)
{
    return find(kVendors, vendor_id);
}

const char* class_name(uint8_t class_code, uint8_t subclass, uint8_t programming_interface)
{
    const char* best = "unknown class";
    int best_precision = -1;
    for (const ClassName& entry : kClasses) {
        if (entry.class_code != class_code)
            continue;
        if (entry.subclass != kAny && entry.subclass != subclass)
            continue;
        if (entry.programming_interface != kAny && entry.programming_interface != programming_interface)
            continue;
        int precision = (entry.subclass != kAny ? 1 : 0) + (entry.programming_interface != kAny ? 1 : 0);
        if (precision > best_precision) {
            best = entry.name;
            best_precision = precision;
        }
    }
    return best;
}

const char* capability_name(uint16_t id)
{
    return find(kCapabilities, id);
}

const char* extended_capability_name(uint16_t id)
{
    return find(kExtendedCapabilities, id);
}

const char* port_type_name(uint8_t port_type)
{
    return find(kPortTypes, port_type);
}

} // namespace drivers::pci
