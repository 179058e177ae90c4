// BAR decoding and sizing (PCI 3.0 6.2.5) against values worked out from
// the specification, and the sizing procedure against a synthetic function
// that keeps only its BARs' writable bits, as hardware does.

#include "drivers/pci_bars.h"
#include "pci_fake_bus.h"

#include <gtest/gtest.h>

namespace {

using namespace drivers::pci;
using pci_test::FakeBar;
using pci_test::FakeBus;
using pci_test::FakeFunction;

BarDecoding decode(uint8_t slot, uint32_t original, uint32_t readback, uint32_t original_high = 0,
    uint32_t readback_high = 0)
{
    return decode_bar(slot, { original, readback, original_high, readback_high });
}

TEST(PciBars, AnIoBarsSizeIsItsLowestWritableAddressBit)
{
    BarDecoding io = decode(1, 0xC001, 0xFFFFFFC1);
    EXPECT_EQ(io.problem, BarProblem::None);
    EXPECT_EQ(io.bar.kind, BarKind::Io);
    EXPECT_EQ(io.bar.address, 0xC000u);
    EXPECT_EQ(io.bar.size, 0x40u);
    // A 16-bit decoder reads its upper half back as zeros: same size.
    BarDecoding narrow = decode(4, 0xC0A1, 0x0000FFE1);
    EXPECT_EQ(narrow.bar.address, 0xC0A0u);
    EXPECT_EQ(narrow.bar.size, 0x20u);
}

TEST(PciBars, MemoryBarsKeepTheirTypeAndPrefetchability)
{
    BarDecoding plain = decode(0, 0xFEBC0000, 0xFFFE0000);
    EXPECT_EQ(plain.bar.kind, BarKind::Memory32);
    EXPECT_FALSE(plain.bar.prefetchable);
    EXPECT_EQ(plain.bar.address, 0xFEBC0000u);
    EXPECT_EQ(plain.bar.size, 0x20000u);

    BarDecoding framebuffer = decode(0, 0xFD000008, 0xFF000008);
    EXPECT_EQ(framebuffer.bar.kind, BarKind::Memory32);
    EXPECT_TRUE(framebuffer.bar.prefetchable);
    EXPECT_EQ(framebuffer.bar.address, 0xFD000000u);
    EXPECT_EQ(framebuffer.bar.size, 16u << 20);

    BarDecoding legacy = decode(0, 0x000A0002, 0xFFFE0002);
    EXPECT_EQ(legacy.bar.kind, BarKind::MemoryBelow1MiB);
    EXPECT_EQ(legacy.bar.size, 0x20000u);
}

TEST(PciBars, SixtyFourBitBarsTakeTheirUpperHalfFromTheNextRegister)
{
    BarDecoding below_4g = decode(4, 0xFE00000C, 0xFFFFC00C, 0, 0xFFFFFFFF);
    EXPECT_EQ(below_4g.bar.kind, BarKind::Memory64);
    EXPECT_TRUE(below_4g.bar.prefetchable);
    EXPECT_EQ(below_4g.bar.address, 0xFE000000u);
    EXPECT_EQ(below_4g.bar.size, 0x4000u);

    BarDecoding above_4g = decode(2, 0x0000000C, 0x0000000C, 0x8, 0xFFFFFFFE);
    EXPECT_EQ(above_4g.bar.address, 0x800000000u);
    EXPECT_EQ(above_4g.bar.size, 0x200000000u); // 8 GiB: no low address bit stuck
}

TEST(PciBars, AnUnimplementedBarHasNoSizeAndAReservedTypeIsAProblem)
{
    EXPECT_EQ(decode(3, 0, 0).bar.size, 0u);
    EXPECT_EQ(decode(3, 0x1, 0x1).bar.size, 0u); // an I/O type bit but no address bit
    BarDecoding reserved = decode(2, 0xFE000006, 0xFFFFF006);
    EXPECT_EQ(reserved.problem, BarProblem::ReservedMemoryType);
}

TEST(PciBars, TheRomBarKeepsItsEnableBitOutOfTheAddress)
{
    BarDecoding rom = decode(kRomSlot, 0xFEB40001, 0xFFFC0000);
    EXPECT_EQ(rom.bar.kind, BarKind::Rom);
    EXPECT_TRUE(rom.bar.rom_enabled);
    EXPECT_EQ(rom.bar.address, 0xFEB40000u);
    EXPECT_EQ(rom.bar.size, 0x40000u);
    BarDecoding off = decode(kRomSlot, 0, 0xFFFF0000);
    EXPECT_FALSE(off.bar.rom_enabled);
    EXPECT_EQ(off.bar.address, 0u);
    EXPECT_EQ(off.bar.size, 0x10000u);
}

constexpr PciAddress kAt { 0, 3, 0 };
constexpr uint16_t kIoAndMemory = 0x0007; // I/O, memory, bus master
constexpr uint16_t kMasterAbortSeen = 0x2000; // status bit 13, write one to clear

// Like a virtio-net beside an e1000: every kind of BAR once, and a ROM.
FakeFunction& busy_device(FakeBus& bus)
{
    FakeFunction& function = bus.add(kAt, 0x1AF4, 0x1000, 0x02000000);
    FakeBus::set_bar(function, 0, FakeBar { 0x20, 0x1, false }, 0xC040);
    FakeBus::set_bar(function, 1, FakeBar { 0x1000, 0x0, false }, 0xFEBD1000);
    FakeBus::set_bar(function, 2, FakeBar { 0x4000, 0xC, false }, 0x8000000000); // 64-bit prefetchable
    FakeBus::set_bar(function, 5, FakeBar { 0x100, 0x1, true }, 0xD000);
    function.rom_size = 0x40000;
    function.put<uint32_t>(0x30, 0xFEB40000);
    function.put<uint16_t>(0x04, kIoAndMemory);
    function.put<uint16_t>(0x06, kMasterAbortSeen);
    return function;
}

TEST(PciBars, SizingFindsEveryBarAndTheRom)
{
    FakeBus bus;
    busy_device(bus);
    BarList list = size_bars(bus, kAt, HeaderLayout::Device, WhileSizing::DecodingOff);
    EXPECT_EQ(list.problem, BarProblem::None);
    ASSERT_EQ(list.count, 5u);
    EXPECT_EQ(list.bars[0].kind, BarKind::Io);
    EXPECT_EQ(list.bars[0].address, 0xC040u);
    EXPECT_EQ(list.bars[0].size, 0x20u);
    EXPECT_EQ(list.bars[1].kind, BarKind::Memory32);
    EXPECT_EQ(list.bars[1].size, 0x1000u);
    EXPECT_EQ(list.bars[2].slot, 2);
    EXPECT_EQ(list.bars[2].kind, BarKind::Memory64);
    EXPECT_TRUE(list.bars[2].prefetchable);
    EXPECT_EQ(list.bars[2].address, 0x8000000000u);
    EXPECT_EQ(list.bars[2].size, 0x4000u);
    EXPECT_EQ(list.bars[3].slot, 5);
    EXPECT_EQ(list.bars[3].size, 0x100u);
    EXPECT_EQ(list.bars[4].slot, kRomSlot);
    EXPECT_EQ(list.bars[4].kind, BarKind::Rom);
    EXPECT_EQ(list.bars[4].address, 0xFEB40000u);
    EXPECT_EQ(list.bars[4].size, 0x40000u);
    EXPECT_FALSE(list.bars[4].rom_enabled);
}

TEST(PciBars, SizingLeavesEveryRegisterAsItFoundItAndProbesWithDecodingOff)
{
    FakeBus bus;
    FakeFunction& function = busy_device(bus);
    FakeFunction before = function;
    size_bars(bus, kAt, HeaderLayout::Device, WhileSizing::DecodingOff);
    EXPECT_EQ(std::memcmp(before.bytes, function.bytes, sizeof(before.bytes)), 0)
        << "a register differs after sizing";
    // The status register's write-one-to-clear bit survived the command writes.
    EXPECT_EQ(function.get<uint16_t>(0x06), kMasterAbortSeen);
    ASSERT_FALSE(bus.writes.empty());
    EXPECT_EQ(bus.writes.front().offset, 0x04) << "decoding goes off before any BAR is written";
    EXPECT_EQ(bus.writes.back().offset, 0x04) << "and comes back after the last";
    EXPECT_EQ(bus.writes.back().value, kIoAndMemory);
    for (const pci_test::LoggedWrite& write : bus.writes) {
        if (write.offset != 0x04) {
            EXPECT_EQ(write.command_then & 0x3, 0) << "BAR at " << write.offset << " written while decoding";
        }
    }
}

TEST(PciBars, AHostBridgeKeepsItsDecodingWhileSized)
{
    FakeBus bus;
    FakeFunction& bridge = bus.add(kAt, 0x8086, 0x29C0, 0x06000000);
    bridge.put<uint16_t>(0x04, kIoAndMemory);
    FakeBus::set_bar(bridge, 0, FakeBar { 0x1000, 0x0, false }, 0xFED1C000);
    BarList list = size_bars(bus, kAt, HeaderLayout::Device, WhileSizing::DecodingKept);
    ASSERT_EQ(list.count, 1u);
    EXPECT_EQ(list.bars[0].size, 0x1000u);
    for (const pci_test::LoggedWrite& write : bus.writes)
        EXPECT_NE(write.offset, 0x04) << "the command register was written";
    EXPECT_EQ(bridge.get<uint32_t>(0x10), 0xFED1C000u);
}

TEST(PciBars, ABridgeHasTwoBarsAndItsRomAt0x38)
{
    FakeBus bus;
    FakeFunction& bridge = bus.add_bridge(kAt, 1, 1);
    FakeBus::set_bar(bridge, 0, FakeBar { 0x100, 0x4, false }, 0xFEA71000);
    bridge.rom_size = 0x800;
    bridge.put<uint32_t>(0x38, 0xFEA70001);
    BarList list = size_bars(bus, kAt, HeaderLayout::PciBridge, WhileSizing::DecodingOff);
    ASSERT_EQ(list.count, 2u);
    EXPECT_EQ(list.bars[0].kind, BarKind::Memory64);
    EXPECT_EQ(list.bars[0].size, 0x100u);
    EXPECT_EQ(list.bars[1].kind, BarKind::Rom);
    EXPECT_TRUE(list.bars[1].rom_enabled);
    EXPECT_EQ(list.bars[1].size, 0x800u);
    // The bus numbers after the two BARs were never written.
    for (const pci_test::LoggedWrite& write : bus.writes)
        EXPECT_TRUE(
            write.offset == 0x04 || write.offset == 0x10 || write.offset == 0x14 || write.offset == 0x38)
            << write.offset;
    EXPECT_EQ(bridge.bytes[0x19], 1);
}

TEST(PciBars, ASixtyFourBitBarInTheLastSlotIsNamedAndNotProbed)
{
    FakeBus bus;
    FakeFunction& function = bus.add(kAt, 0x8086, 0x100E, 0x02000000);
    FakeBus::set_bar(function, 0, FakeBar { 0x1000, 0x0, false }, 0xFEB80000);
    function.put<uint32_t>(0x24, 0xFE000004); // slot 5 says 64-bit
    BarList list = size_bars(bus, kAt, HeaderLayout::Device, WhileSizing::DecodingOff);
    EXPECT_EQ(list.problem, BarProblem::NoUpperHalf);
    EXPECT_EQ(list.problem_slot, 5);
    ASSERT_EQ(list.count, 1u); // BAR0 kept; no ROM in this function
    EXPECT_EQ(list.bars[0].address, 0xFEB80000u);
    for (const pci_test::LoggedWrite& write : bus.writes)
        EXPECT_NE(write.offset, 0x24);
    EXPECT_STREQ(describe(list.problem),
        "64-bit BAR in the last slot, with no register for its upper half: not sized");
}

TEST(PciBars, ADecodedBarNeedsItsSpaceOnAnAddressAndForARomItsEnableBit)
{
    Bar io { 0, BarKind::Io, false, false, 0xC000, 0x40 };
    Bar memory { 1, BarKind::Memory32, false, false, 0xFEB80000, 0x1000 };
    Bar rom { kRomSlot, BarKind::Rom, false, true, 0xFEB40000, 0x40000 };
    Command both = Command().set_io_space(true).set_memory_space(true);
    EXPECT_TRUE(bar_decoded(io, both));
    EXPECT_TRUE(bar_decoded(memory, both));
    EXPECT_TRUE(bar_decoded(rom, both));
    EXPECT_FALSE(bar_decoded(io, Command().set_memory_space(true)));
    EXPECT_FALSE(bar_decoded(memory, Command().set_io_space(true)));
    rom.rom_enabled = false;
    EXPECT_FALSE(bar_decoded(rom, both));
    memory.address = 0;
    EXPECT_FALSE(bar_decoded(memory, both));
}

} // namespace
