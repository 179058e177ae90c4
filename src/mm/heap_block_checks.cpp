// The poison check (heap_block_checks.h says why the heap poisons): the
// word scan that runs on every block handed out again, and the byte that
// names where the damage starts.

#include "mm/heap_block_checks.h"

namespace mm {

namespace {

// The index of the first word that is not all poison, or count.
size_t first_unpoisoned_word(const uint64_t* words, size_t count)
{
    for (size_t i = 0; i < count; ++i) {
        if (words[i] != kPoisonWord)
            return i;
    }
    return count;
}

} // namespace

lib::Result<void, HeapError> check_poison(uintptr_t start, size_t length, uintptr_t block)
{
    const auto* words = reinterpret_cast<const uint64_t*>(start);
    size_t i = first_unpoisoned_word(words, length / 8);
    if (i == length / 8)
        return {};
    const auto* bytes = reinterpret_cast<const uint8_t*>(&words[i]);
    size_t byte = 0;
    while (bytes[byte] == kHeapPoisonByte)
        ++byte;
    return heap_error(HeapErrorKind::UseAfterFree, block, start + i * 8 + byte - block,
        "a byte of freed memory no longer holds the poison pattern");
}

} // namespace mm
