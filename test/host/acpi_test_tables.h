#pragma once

// What the ACPI host tests share: a fake physical memory and table bytes
// built field by field with correct checksums.

#include "acpi/physical_memory.h"
#include "acpi/sdt_header.h"

#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

namespace acpi_test {

// Physical memory as separate regions; a view must lie inside one of them.
class FakeMemory final : public acpi::PhysicalMemory {
public:
    const uint8_t* view(uint64_t physical, size_t length) const override
    {
        for (const auto& [base, bytes] : m_regions) {
            if (physical >= base && physical + length <= base + bytes.size() && physical + length >= physical)
                return bytes.data() + (physical - base);
        }
        return nullptr;
    }

    std::vector<uint8_t>& region(uint64_t base, size_t size)
    {
        auto& bytes = m_regions[base];
        bytes.resize(size, 0);
        return bytes;
    }

    void put(uint64_t physical, const std::vector<uint8_t>& bytes)
    {
        for (auto& [base, region] : m_regions) {
            if (physical >= base && physical + bytes.size() <= base + region.size()) {
                std::memcpy(region.data() + (physical - base), bytes.data(), bytes.size());
                return;
            }
        }
        region(physical, bytes.size()) = bytes;
    }

    uint8_t& byte(uint64_t physical) { return const_cast<uint8_t&>(*view(physical, 1)); }

private:
    std::map<uint64_t, std::vector<uint8_t>> m_regions;
};

template <typename T>
void store(std::vector<uint8_t>& bytes, size_t offset, T value)
{
    std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

inline void fix_checksum(std::vector<uint8_t>& bytes, size_t checksum_offset, size_t length)
{
    bytes[checksum_offset] = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < length; ++i)
        sum = static_cast<uint8_t>(sum + bytes[i]);
    bytes[checksum_offset] = static_cast<uint8_t>(-sum);
}

// A table: header with signature and length, body, checksum fixed.
inline std::vector<uint8_t> table_bytes(
    const char* signature, const std::vector<uint8_t>& body, uint8_t revision = 1)
{
    std::vector<uint8_t> bytes(36, 0);
    std::memcpy(bytes.data(), signature, 4);
    bytes.insert(bytes.end(), body.begin(), body.end());
    store<uint32_t>(bytes, 4, static_cast<uint32_t>(bytes.size()));
    bytes[8] = revision;
    std::memcpy(bytes.data() + 10, "RAYOS ", 6);
    fix_checksum(bytes, 9, bytes.size());
    return bytes;
}

// A checked view of bytes laid out at physical (read_table's result).
inline acpi::SdtView view_of(const std::vector<uint8_t>& bytes, uint64_t physical = 0x7000)
{
    acpi::SdtView view {};
    std::memcpy(&view.header, bytes.data(), sizeof(acpi::SdtHeader));
    view.bytes = bytes.data();
    view.physical = physical;
    return view;
}

} // namespace acpi_test
