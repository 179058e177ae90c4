#pragma once

// Sorts a few hundred values in place, ascending, with no allocation:
// the memory map's regions, a benchmark's samples.

#include <stddef.h>

namespace lib {

template <typename T>
void insertion_sort(T* values, size_t count)
{
    for (size_t i = 1; i < count; ++i) {
        T value = values[i];
        size_t j = i;
        for (; j > 0 && values[j - 1] > value; --j)
            values[j] = values[j - 1];
        values[j] = value;
    }
}

} // namespace lib
