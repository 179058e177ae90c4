#pragma once

// The Fixed ACPI Description Table, signature "FACP" (ACPI 6.4 5.2.9):
// of its many fields the kernel reads the power-management timer's
// register, the clock it measures the PIT and the TSC against, and the
// reset register, one way to restart the machine.

#include <stdint.h>

#include "acpi/acpi_error.h"
#include "acpi/sdt_header.h"
#include "lib/result.h"

namespace acpi {

inline constexpr char kFadtSignature[] = "FACP";

// ACPI 6.4 4.8.3.3: a counter at 3.579545 MHz, 24 bits wide unless
// TMR_VAL_EXT says 32; it is read from an I/O port.
struct PmTimerRegister {
    bool present;
    uint16_t port;
    bool counts_32_bits;
    const char* source; // "X_PM_TMR_BLK" or "PM_TMR_BLK"
};

// ACPI 6.4 4.8.3.6: writing value to this register resets the machine.
struct ResetRegister {
    bool supported; // Flags.RESET_REG_SUP on a FADT long enough to hold it
    uint8_t address_space; // a GenericAddress space: memory, I/O or PCI configuration
    uint64_t address;
    uint8_t value;
};

struct Fadt {
    uint8_t revision;
    uint32_t length;
    PmTimerRegister pm_timer;
    ResetRegister reset;
};

lib::Result<Fadt, AcpiError> parse_fadt(const SdtView& table);

} // namespace acpi
