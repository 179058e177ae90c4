#include "drivers/pci_bars.h"

namespace drivers::pci {
namespace {

// A BAR's low bits (PCI 3.0 6.2.5.1, Figures 6-5 and 6-6).
struct BarRegister : arch::RegisterBits<BarRegister, uint32_t> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(io_space, 0)
    REGISTER_FIELD(memory_type, 1, 2) // a MemoryType
    REGISTER_BIT(prefetchable, 3)
};
enum class MemoryType : uint8_t { Bits32 = 0, Below1MiB = 1, Bits64 = 2, Reserved = 3 };
constexpr uint32_t kIoAddressMask = 0xFFFFFFFC;
constexpr uint32_t kMemoryAddressMask = 0xFFFFFFF0;

// The expansion ROM BAR (PCI 3.0 6.2.5.2, Figure 6-7): address bits 31:11,
// and bit 0 enables its decoding (with the command register's memory bit).
struct RomRegister : arch::RegisterBits<RomRegister, uint32_t> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(enabled, 0)
};
constexpr uint32_t kRomAddressMask = 0xFFFFF800;

constexpr uint8_t kDeviceBars = 6;
constexpr uint8_t kPciBridgeBars = 2;
constexpr uint8_t kCardBusBridgeBars = 1;

// The size a BAR decodes is the weight of its lowest writable address bit.
constexpr uint64_t lowest_set_bit(uint64_t value)
{
    return value & (~value + 1);
}

static_assert(lowest_set_bit(0xFFFE0000) == 0x20000 && lowest_set_bit(0) == 0);

uint16_t bar_offset(uint8_t slot)
{
    return static_cast<uint16_t>(offset::kFirstBar + 4 * slot);
}

// Writes probe into the register, reads what stuck, and puts the original
// value back.
uint32_t probe_register(
    ConfigAccess& access, PciAddress function, uint16_t reg, uint32_t original, uint32_t probe)
{
    access.write32(function, reg, probe);
    uint32_t readback = access.read32(function, reg);
    access.write32(function, reg, original);
    return readback;
}

void append_bar(BarList& list, const BarDecoding& decoding)
{
    if (decoding.problem != BarProblem::None) {
        if (list.problem == BarProblem::None) {
            list.problem = decoding.problem;
            list.problem_slot = decoding.bar.slot;
        }
        return;
    }
    if (decoding.bar.size != 0 && list.count < kMaxBars)
        list.bars[list.count++] = decoding.bar;
}

} // namespace

const char* describe(BarProblem problem)
{
    switch (problem) {
    case BarProblem::None:
        return "no problem";
    case BarProblem::ReservedMemoryType:
        return "reserved memory type 11b: not sized";
    case BarProblem::NoUpperHalf:
        return "64-bit BAR in the last slot, with no register for its upper half: not sized";
    }
    return "unknown problem";
}

bool is_64_bit_memory_bar(uint32_t value)
{
    BarRegister bar(value);
    return !bar.io_space() && static_cast<MemoryType>(bar.memory_type()) == MemoryType::Bits64;
}

BarDecoding decode_bar(uint8_t slot, const BarProbe& probe)
{
    Bar bar { slot, BarKind::Memory32, false, false, 0, 0 };
    if (slot == kRomSlot) {
        bar.kind = BarKind::Rom;
        bar.rom_enabled = RomRegister(probe.original).enabled();
        bar.address = probe.original & kRomAddressMask;
        bar.size = lowest_set_bit(probe.readback & kRomAddressMask);
        return { bar, BarProblem::None };
    }
    BarRegister original(probe.original);
    if (original.io_space()) {
        // A device that decodes 16 bits of I/O reads its upper half back as
        // zeros: the lowest bit that stuck is the size all the same.
        bar.kind = BarKind::Io;
        bar.address = probe.original & kIoAddressMask;
        bar.size = lowest_set_bit(probe.readback & kIoAddressMask);
        return { bar, BarProblem::None };
    }
    uint64_t address = probe.original & kMemoryAddressMask;
    uint64_t readback = probe.readback & kMemoryAddressMask;
    switch (static_cast<MemoryType>(original.memory_type())) {
    case MemoryType::Bits32:
        break;
    case MemoryType::Below1MiB:
        bar.kind = BarKind::MemoryBelow1MiB;
        break;
    case MemoryType::Bits64:
        bar.kind = BarKind::Memory64;
        address |= static_cast<uint64_t>(probe.original_high) << 32;
        readback |= static_cast<uint64_t>(probe.readback_high) << 32;
        break;
    case MemoryType::Reserved:
        return { bar, BarProblem::ReservedMemoryType };
    }
    bar.prefetchable = original.prefetchable();
    bar.address = address;
    bar.size = lowest_set_bit(readback);
    return { bar, BarProblem::None };
}

BarList size_bars(ConfigAccess& access, PciAddress function, HeaderLayout layout, WhileSizing decoding)
{
    BarList list {};
    uint8_t slots = layout == HeaderLayout::Device ? kDeviceBars
        : layout == HeaderLayout::PciBridge        ? kPciBridgeBars
        : layout == HeaderLayout::CardBusBridge    ? kCardBusBridgeBars
                                                   : 0;
    if (slots == 0)
        return list; // a layout PCI 3.0 does not define: its registers mean nothing known
    uint16_t rom = layout == HeaderLayout::Device ? offset::kDeviceRom
        : layout == HeaderLayout::PciBridge       ? offset::kBridgeRom
                                                  : 0;

    Command command(read16(access, function, offset::kCommand));
    if (decoding == WhileSizing::DecodingOff)
        write_command(access, function, Command(command).set_io_space(false).set_memory_space(false));
    for (uint8_t slot = 0; slot < slots; ++slot) {
        uint16_t reg = bar_offset(slot);
        BarProbe probe {};
        probe.original = access.read32(function, reg);
        bool wide = is_64_bit_memory_bar(probe.original);
        if (wide && slot + 1 == slots) {
            append_bar(
                list, { Bar { slot, BarKind::Memory64, false, false, 0, 0 }, BarProblem::NoUpperHalf });
            break;
        }
        probe.readback = probe_register(access, function, reg, probe.original, 0xFFFFFFFF);
        if (wide) {
            uint16_t high = bar_offset(static_cast<uint8_t>(slot + 1));
            probe.original_high = access.read32(function, high);
            probe.readback_high = probe_register(access, function, high, probe.original_high, 0xFFFFFFFF);
        }
        append_bar(list, decode_bar(slot, probe));
        if (wide)
            ++slot;
    }
    if (rom != 0) {
        BarProbe probe {};
        probe.original = access.read32(function, rom);
        // Address bits only: the probe must not set the enable bit.
        probe.readback = probe_register(access, function, rom, probe.original, kRomAddressMask);
        append_bar(list, decode_bar(kRomSlot, probe));
    }
    if (decoding == WhileSizing::DecodingOff)
        write_command(access, function, command);
    return list;
}

bool bar_decoded(const Bar& bar, Command command)
{
    if (bar.address == 0)
        return false;
    switch (bar.kind) {
    case BarKind::Io:
        return command.io_space();
    case BarKind::Rom:
        return command.memory_space() && bar.rom_enabled;
    case BarKind::Memory32:
    case BarKind::MemoryBelow1MiB:
    case BarKind::Memory64:
        return command.memory_space();
    }
    return false;
}

} // namespace drivers::pci
