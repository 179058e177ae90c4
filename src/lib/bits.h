#pragma once

// Bit counting without libgcc: __builtin_popcountll becomes a call to
// libgcc's __popcountdi2 on CPUs without POPCNT, and Debian's libgcc is
// built with the red zone, which a kernel taking interrupts cannot use.

#include <stdint.h>

namespace lib {

// Sum bits in ever wider fields (Hacker's Delight 5-1).
constexpr unsigned popcount64(uint64_t value)
{
    value = value - ((value >> 1) & 0x5555555555555555ull);
    value = (value & 0x3333333333333333ull) + ((value >> 2) & 0x3333333333333333ull);
    value = (value + (value >> 4)) & 0x0F0F0F0F0F0F0F0Full;
    return static_cast<unsigned>((value * 0x0101010101010101ull) >> 56);
}

static_assert(popcount64(0) == 0 && popcount64(~0ull) == 64 && popcount64(0x8000000000000001ull) == 2);

} // namespace lib
