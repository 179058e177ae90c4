#pragma once

// Base address registers: what each one decodes (I/O or memory, 32 or 64
// bits, prefetchable), where the firmware put it and how large it is (PCI
// Local Bus Specification 3.0, 6.2.5.1 and 6.2.5.2, the expansion ROM).
// Pure: decode_bar is the arithmetic on the values probed, size_bars the
// probing itself over a ConfigAccess, so a host test can feed both a
// synthetic function.
//
// Sizing follows 6.2.5.1: write all ones, read back, the lowest address
// bit that stayed set is the size; then the original value goes back. The
// function's I/O and memory decoding is off meanwhile (its command
// register), so the half-written BAR never claims an address another
// device or RAM answers, and the command register is restored after.

#include <stddef.h>
#include <stdint.h>

#include "drivers/pci_config_space.h"

namespace drivers::pci {

enum class BarKind : uint8_t {
    Io,
    Memory32,
    MemoryBelow1MiB, // memory type 01b: PCI 2.x's "below 1 MiB", reserved since 3.0
    Memory64, // takes this slot and the next
    Rom, // the expansion ROM BAR
};

// QEMU, like PCI's option ROM code, numbers the ROM BAR 6.
inline constexpr uint8_t kRomSlot = 6;
inline constexpr size_t kMaxBars = 7; // six BARs and the ROM

struct Bar {
    uint8_t slot; // 0-5, or kRomSlot
    BarKind kind;
    bool prefetchable; // memory only
    bool rom_enabled; // the ROM BAR's address decode enable bit, as found
    uint64_t address; // as programmed: the address bits only
    uint64_t size; // a power of two
};

// A BAR's register as the firmware left it and as read back after all
// ones were written; the high halves for a 64-bit BAR's next slot.
struct BarProbe {
    uint32_t original;
    uint32_t readback;
    uint32_t original_high;
    uint32_t readback_high;
};

enum class BarProblem : uint8_t {
    None,
    ReservedMemoryType, // memory type 11b
    NoUpperHalf, // a 64-bit BAR in the last slot
};
const char* describe(BarProblem problem);

// The BAR in slot (0-5, or kRomSlot for the ROM's register) from its
// probe: size 0 when it is not implemented (no address bit took a one). A
// 64-bit BAR takes its high halves from the probe too. A reserved memory
// type is a problem, and then the BAR means nothing.
struct BarDecoding {
    Bar bar;
    BarProblem problem;
};
BarDecoding decode_bar(uint8_t slot, const BarProbe& probe);
// Whether the register value is a 64-bit memory BAR's low half.
bool is_64_bit_memory_bar(uint32_t value);

struct BarList {
    Bar bars[kMaxBars]; // implemented ones only, in slot order, the ROM last
    size_t count;
    BarProblem problem; // the first one met; that BAR is left out
    uint8_t problem_slot;
};

// What decoding does while the BARs are sized.
enum class WhileSizing : uint8_t {
    DecodingOff,
    // Host bridges: some stop decoding RAM when told to stop decoding
    // memory, so their command register is left alone (Linux's
    // quirk_mmio_always_on, for every host bridge).
    DecodingKept,
};

// The BARs of a function of this layout (six for a device, two for a
// PCI-to-PCI bridge, one for a CardBus bridge) and its ROM (devices and
// PCI-to-PCI bridges); the command register and every BAR hold what they
// held before on return.
BarList size_bars(ConfigAccess& access, PciAddress function, HeaderLayout layout, WhileSizing decoding);

// Whether the function answers the BAR now: its decoding is on in the
// command register (as found), it has an address, and a ROM is enabled.
bool bar_decoded(const Bar& bar, Command command);

} // namespace drivers::pci
