#pragma once

// The page size, declared once for arch, mm and boot: x86_64's smallest page
// (Intel SDM Vol. 3A 4.5, Table 4-19: a PTE maps 4 KiB) and the large page
// a PD entry maps directly (Table 4-17: 2 MiB). Generic code includes this
// neutral header; only src/arch/x86_64/ sees the paging structures.

#include <stdint.h>

namespace arch {

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kLargePageSize = uint64_t(2) * 1024 * 1024;

} // namespace arch
