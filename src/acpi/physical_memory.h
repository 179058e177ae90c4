#pragma once

// How the ACPI reader reaches firmware tables: through a window onto
// physical memory that says which bytes it can show. The kernel's window is
// the direct map (only what is mapped); a host test's is a buffer it built.

#include <stddef.h>
#include <stdint.h>

namespace acpi {

class PhysicalMemory {
public:
    // The length bytes at physical, or nullptr when any of them cannot be read.
    virtual const uint8_t* view(uint64_t physical, size_t length) const = 0;

protected:
    ~PhysicalMemory() = default;
};

// Fields of firmware tables sit at any byte offset, so they are copied out
// rather than read through misaligned pointers.
template <typename T>
T read_field(const uint8_t* bytes, size_t offset)
{
    T value;
    __builtin_memcpy(&value, bytes + offset, sizeof(T));
    return value;
}

// ACPI 6.4 5.2.5.3 and 5.2.6: a structure is valid when its bytes sum to
// zero modulo 256.
inline bool checksum_is_zero(const uint8_t* bytes, size_t length)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < length; ++i)
        sum = static_cast<uint8_t>(sum + bytes[i]);
    return sum == 0;
}

} // namespace acpi
