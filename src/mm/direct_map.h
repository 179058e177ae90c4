#pragma once

// The kernel reaches physical memory through the direct map: physical
// address P is at virtual kDirectMapBase + P (PML4 slot 256). The
// trampoline maps the first 4 GiB there; the memory issue maps it all.

#include <stdint.h>

namespace mm {

inline constexpr uint64_t kDirectMapBase = 0xFFFF800000000000;
inline constexpr uint64_t kEarlyDirectMapSize = 4ull << 30;

template <typename T>
T* physical_to_virtual(uint64_t physical)
{
    return reinterpret_cast<T*>(kDirectMapBase + physical);
}

} // namespace mm
