#pragma once

// The heap's checks on its blocks: the sealed 16-byte records that say what
// a block is, and the poison that fills free memory. Both are how misuse is
// caught: a record whose check value no longer matches was overwritten (or
// never written by the heap), and free memory that is no longer poison was
// written after it was freed. Kept apart from the heap's bookkeeping so the
// checks can be tested on a plain buffer (test/host/heap_block_checks_test.cpp).

#include <stddef.h>
#include <stdint.h>

#include "lib/result.h"
#include "mm/heap_allocator.h"

namespace mm {

// The record at the start of every block and right before every pointer.
struct BlockRecord {
    uint32_t magic;
    uint32_t size; // live: bytes requested; freed: bytes its last owner had
    uint32_t offset; // bytes from the block's start to the live header
    uint32_t check;
};
static_assert(sizeof(BlockRecord) == kHeapHeaderSize);

inline constexpr uint32_t kLiveMagic = 0x4C495645; // "LIVE"
inline constexpr uint32_t kPadMagic = 0x50414444; // "PADD": the header is further in
inline constexpr uint32_t kFreedMagic = 0x46524545; // "FREE"
inline constexpr uint32_t kNeverUsed = 0xFFFFFFFF; // offset of a block never handed out

inline constexpr uint64_t kPoisonWord = 0x0101010101010101ull * kHeapPoisonByte;

// The check value of a record at address: every field, the address and the
// heap's secret mixed. Two multiplies: enough that a stray write or a
// guessed header fails the check, cheap enough for every allocation and free.
inline uint32_t seal_record(
    uint64_t secret, uintptr_t address, uint32_t magic, uint32_t size, uint32_t offset)
{
    uint64_t value = (address ^ secret) + (uint64_t(magic) << 32 | size) * 0x9E3779B97F4A7C15ull + offset;
    return static_cast<uint32_t>((value * 0xD6E8FEB86659FD93ull) >> 32);
}

inline void write_record(uint64_t secret, uintptr_t address, uint32_t magic, uint32_t size, uint32_t offset)
{
    *reinterpret_cast<BlockRecord*>(address)
        = { magic, size, offset, seal_record(secret, address, magic, size, offset) };
}

inline const BlockRecord& record_at(uintptr_t address)
{
    return *reinterpret_cast<const BlockRecord*>(address);
}

// The record at address has this magic and its check value matches.
inline bool record_is(uint64_t secret, uintptr_t address, uint32_t magic)
{
    const BlockRecord& record = record_at(address);
    return record.magic == magic
        && record.check == seal_record(secret, address, magic, record.size, record.offset);
}

// A word loop, not memset: the kernel's memset is `rep stosb`, which QEMU's
// TCG runs a byte at a time (five times slower per free in `bench`). Two
// words a turn: every length the heap poisons is a multiple of 16 (records,
// strides, pages), and the loop's own count and branch were a third of the
// cost of a small block's poison.
inline void fill_poison(uintptr_t start, size_t length)
{
    auto* words = reinterpret_cast<uint64_t*>(start);
    for (size_t i = 0; i < length / 8; i += 2) {
        words[i] = kPoisonWord;
        words[i + 1] = kPoisonWord;
    }
}

// How much of a free slab block holds poison: the bytes after its record,
// up to kSlabPoisonBytes, so record and poison fill one cache line's worth.
// A block of up to 48 bytes is poison from end to end; a larger one in its
// first 48 bytes, where a stale pointer's writes land most (a reference
// count, a list link, a state word). Every poisoned byte is written on free
// and read on reuse: 112 bytes put 256-byte blocks at 1.6 times glibc's
// time where 48 bytes put them at 1.1 (test/host/heap_benchmark.cpp), and
// whole blocks of up to 4 KiB cost 2 KiB of memory traffic a block.
inline constexpr size_t kSlabPoisonBytes = 48;
constexpr size_t slab_poison_length(size_t stride)
{
    return stride - kHeapHeaderSize < kSlabPoisonBytes ? stride - kHeapHeaderSize : kSlabPoisonBytes;
}

// A free slab block's poisoned prefix (slab_poison_length: 16, 32 or 48
// bytes), written and read as straight-line code rather than through
// fill_poison's and holds_poison's loops: 1.0 to 1.4 ns less an operation
// on fixed 16- to 256-byte traces, of 11 to 18 (test/host/heap_benchmark.cpp).
inline void fill_prefix_poison(uintptr_t start, size_t length)
{
    auto* words = reinterpret_cast<uint64_t*>(start);
    words[0] = kPoisonWord;
    words[1] = kPoisonWord;
    if (length > 16) {
        words[2] = kPoisonWord;
        words[3] = kPoisonWord;
    }
    if (length > 32) {
        words[4] = kPoisonWord;
        words[5] = kPoisonWord;
    }
}

inline bool prefix_holds_poison(uintptr_t start, size_t length)
{
    const auto* words = reinterpret_cast<const uint64_t*>(start);
    uint64_t differs = (words[0] ^ kPoisonWord) | (words[1] ^ kPoisonWord);
    if (length > 16)
        differs |= (words[2] ^ kPoisonWord) | (words[3] ^ kPoisonWord);
    if (length > 32)
        differs |= (words[4] ^ kPoisonWord) | (words[5] ^ kPoisonWord);
    return differs == 0;
}

inline lib::Failure<HeapError> heap_error(
    HeapErrorKind kind, uintptr_t address, uint64_t detail, const char* reason)
{
    return lib::fail(HeapError { kind, address, detail, reason });
}

// length bytes from start (a multiple of 8) still hold poison; if not, a
// UseAfterFree error naming block and the offset of the first changed byte
// from block.
lib::Result<void, HeapError> check_poison(uintptr_t start, size_t length, uintptr_t block);

// check_poison's common case, inlined into the allocation path: true when
// every word still holds poison.
inline bool holds_poison(uintptr_t start, size_t length)
{
    const auto* words = reinterpret_cast<const uint64_t*>(start);
    uint64_t differs = 0;
    for (size_t i = 0; i < length / 8; i += 2) // length: a multiple of 16, as fill_poison's
        differs |= (words[i] ^ kPoisonWord) | (words[i + 1] ^ kPoisonWord);
    return differs == 0;
}

} // namespace mm
