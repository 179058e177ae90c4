#pragma once

// A PCI function as text: the lines the boot log prints after [PCI] and
// the console's `pci` command prints as they are. Pure.
//
//   00:1f.2 8086:2922 class 01.06.01 (SATA AHCI) Intel, rev 02, subsystem 1af4:1100, IRQ 10 pin A
//     BAR4 I/O at 0xc0a0, size 0x20
//     BAR5 32-bit memory at 0xfebf5000, size 0x1000
//     capabilities: MSI (64-bit, 1 vector, off) at 0x80, SATA configuration at 0xa8
//
// A bridge adds its buses and windows; a BAR the function does not answer
// now says why (unassigned, disabled, its decoding off); a broken
// capability list adds a warning line that names the pointer.

#include "drivers/pci_function.h"
#include "lib/string_view.h"

namespace drivers::pci {

class LineSink {
public:
    virtual void line(lib::StringView text) = 0;

protected:
    ~LineSink() = default;
};

// The first line names the function; the others, indented by two spaces,
// describe it.
void list_function(const PciFunction& function, LineSink& sink);

} // namespace drivers::pci
