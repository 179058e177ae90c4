#pragma once

// What the PCI host tests share: a synthetic configuration space that
// behaves as hardware does where the code under test depends on it. BARs
// keep only their writable address bits (so writing all ones reads back
// the size), their type bits are read-only, the status register's error
// bits are write-one-to-clear, an absent function reads all ones, and
// every write is logged with the command register as it stood, so a test
// can tell whether a BAR held a probe while its decoding was on.

#include "drivers/pci_config_space.h"

#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <vector>

namespace pci_test {

using drivers::pci::PciAddress;

// A BAR's hardware: which bits its register keeps.
struct FakeBar {
    uint64_t size = 0; // 0: not implemented (reads 0, keeps nothing)
    uint32_t type_bits = 0; // the read-only low bits: 1 for I/O; 0x4 64-bit, 0x8 prefetchable
    bool io_16_bits = false; // an I/O BAR that decodes 16 bits: its upper half reads 0
};

struct FakeFunction {
    uint8_t bytes[drivers::pci::kExtendedConfigSpaceSize] = {};
    FakeBar bars[6];
    uint64_t rom_size = 0;
    uint16_t rom_offset = 0x30; // 0x38 for a PCI-to-PCI bridge

    template <typename T>
    void put(uint16_t offset, T value)
    {
        std::memcpy(bytes + offset, &value, sizeof(T));
    }
    template <typename T>
    T get(uint16_t offset) const
    {
        T value;
        std::memcpy(&value, bytes + offset, sizeof(T));
        return value;
    }
};

struct LoggedWrite {
    PciAddress function;
    uint16_t offset;
    uint32_t value;
    uint16_t command_then; // the function's command register when the write came
};

class FakeBus final : public drivers::pci::ConfigAccess {
public:
    explicit FakeBus(uint16_t space_size = drivers::pci::kConfigSpaceSize)
        : m_space_size(space_size)
    {
    }

    // A function with IDs and class; its header type's layout and
    // multi-function bit as given.
    FakeFunction& add(
        PciAddress at, uint16_t vendor, uint16_t device, uint32_t class_and_revision, uint8_t header_type = 0)
    {
        FakeFunction& function = m_functions[at.ordinal()];
        function.put<uint16_t>(0x00, vendor);
        function.put<uint16_t>(0x02, device);
        function.put<uint32_t>(0x08, class_and_revision);
        function.bytes[0x0E] = header_type;
        if ((header_type & 0x7F) == 1)
            function.rom_offset = 0x38;
        return function;
    }

    // A PCI-to-PCI bridge from primary to secondary..subordinate.
    FakeFunction& add_bridge(PciAddress at, uint8_t secondary, uint8_t subordinate, uint8_t header_type = 1)
    {
        FakeFunction& bridge = add(at, 0x1B36, 0x0001, 0x06040000, header_type);
        bridge.bytes[0x18] = at.bus;
        bridge.bytes[0x19] = secondary;
        bridge.bytes[0x1A] = subordinate;
        return bridge;
    }

    FakeFunction& function(PciAddress at) { return m_functions.at(at.ordinal()); }

    // Sets a BAR's hardware and the address the firmware programmed.
    static void set_bar(FakeFunction& function, uint8_t slot, FakeBar bar, uint64_t address)
    {
        function.bars[slot] = bar;
        uint32_t low = static_cast<uint32_t>(address) | bar.type_bits;
        function.put<uint32_t>(static_cast<uint16_t>(0x10 + 4 * slot), bar.size == 0 ? 0 : low);
        if (bar.size != 0 && (bar.type_bits & 0x7) == 0x4)
            function.put<uint32_t>(
                static_cast<uint16_t>(0x14 + 4 * slot), static_cast<uint32_t>(address >> 32));
    }

    uint32_t read32(PciAddress at, uint16_t offset) override
    {
        ++m_reads;
        m_offsets_read.insert(offset);
        auto found = m_functions.find(at.ordinal());
        if (found == m_functions.end() || offset >= m_space_size)
            return 0xFFFFFFFF;
        return found->second.get<uint32_t>(offset);
    }

    void write32(PciAddress at, uint16_t offset, uint32_t value) override
    {
        auto found = m_functions.find(at.ordinal());
        if (found == m_functions.end())
            return;
        FakeFunction& function = found->second;
        writes.push_back({ at, offset, value, function.get<uint16_t>(0x04) });
        if (offset == 0x04) {
            function.put<uint16_t>(0x04, static_cast<uint16_t>(value));
            // Status: write one to clear.
            function.put<uint16_t>(
                0x06, static_cast<uint16_t>(function.get<uint16_t>(0x06) & ~(value >> 16)));
        } else if (offset >= 0x10 && offset < 0x10 + 4 * bar_slots(function)) {
            write_bar(function, static_cast<unsigned>((offset - 0x10) / 4), value);
        } else if (offset == function.rom_offset) {
            uint32_t kept = function.rom_size == 0
                ? 0
                : (value & ~static_cast<uint32_t>(function.rom_size - 1) & 0xFFFFF800) | (value & 1);
            function.put<uint32_t>(offset, kept);
        } else {
            function.put<uint32_t>(offset, value);
        }
    }

    uint16_t config_space_size() const override { return m_space_size; }

    bool reaches_bus(uint8_t bus) override { return bus >= m_first_bus && bus <= m_last_bus; }
    void set_reach(uint8_t first, uint8_t last)
    {
        m_first_bus = first;
        m_last_bus = last;
    }

    size_t reads() const { return m_reads; }
    bool read_at(uint16_t offset) const { return m_offsets_read.count(offset) != 0; }

    std::vector<LoggedWrite> writes;

private:
    static unsigned bar_slots(const FakeFunction& function)
    {
        switch (function.bytes[0x0E] & 0x7F) {
        case 0:
            return 6;
        case 1:
            return 2;
        case 2:
            return 1;
        default:
            return 0;
        }
    }

    // Keeps what a BAR register (or a 64-bit BAR's upper half) keeps.
    static void write_bar(FakeFunction& function, unsigned slot, uint32_t value)
    {
        auto offset = static_cast<uint16_t>(0x10 + 4 * slot);
        if (slot > 0) {
            const FakeBar& below = function.bars[slot - 1];
            if (below.size != 0 && (below.type_bits & 0x7) == 0x4) {
                function.put<uint32_t>(offset, value & static_cast<uint32_t>(~(below.size - 1) >> 32));
                return;
            }
        }
        const FakeBar& bar = function.bars[slot];
        if (bar.size == 0) {
            function.put<uint32_t>(offset, 0);
            return;
        }
        auto mask = static_cast<uint32_t>(~(bar.size - 1));
        if (bar.type_bits & 1)
            mask &= bar.io_16_bits ? 0x0000FFFC : 0xFFFFFFFC;
        else
            mask &= 0xFFFFFFF0;
        function.put<uint32_t>(offset, (value & mask) | bar.type_bits);
    }

    std::map<uint16_t, FakeFunction> m_functions;
    uint16_t m_space_size;
    uint8_t m_first_bus = 0;
    uint8_t m_last_bus = 255;
    size_t m_reads = 0;
    std::set<uint16_t> m_offsets_read;
};

} // namespace pci_test
