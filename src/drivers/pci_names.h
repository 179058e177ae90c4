#pragma once

// Names for what a PCI function says in numbers: its vendor, its class,
// its capabilities. Small tables, enough for the devices QEMU offers and
// the common ones of real machines. Pure.

#include <stdint.h>

namespace drivers::pci {

// The vendor's name, or nullptr when the table has none.
const char* vendor_name(uint16_t vendor_id);
// The most precise name the table has: the programming interface's
// (SATA AHCI), else the subclass's (SATA), else the class's (mass
// storage); "unknown class" for a class it does not know.
const char* class_name(uint8_t class_code, uint8_t subclass, uint8_t programming_interface);
// A conventional capability's name, or nullptr.
const char* capability_name(uint16_t id);
// An extended capability's name, or nullptr.
const char* extended_capability_name(uint16_t id);
// The PCI Express Device/Port Type's name, or nullptr.
const char* port_type_name(uint8_t port_type);

} // namespace drivers::pci
