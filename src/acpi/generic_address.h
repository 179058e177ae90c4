#pragma once

// The Generic Address Structure (ACPI 6.4 5.2.3.2): how a table says where
// a register is, in which address space, and how wide.

#include <stdint.h>

namespace acpi {

struct [[gnu::packed]] GenericAddress {
    uint8_t address_space; // kSystemMemorySpace, kSystemIoSpace, ...
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;
    uint64_t address;
};
static_assert(sizeof(GenericAddress) == 12);

inline constexpr uint8_t kSystemMemorySpace = 0;
inline constexpr uint8_t kSystemIoSpace = 1;
inline constexpr uint8_t kPciConfigurationSpace = 2;

} // namespace acpi
