#pragma once

// Physical memory in 4 KiB frames, from the mended memory map. Two bitmaps:
// which frames may ever be handed out (usable and not carved out), and which
// are in use. It never hands out frame 0, a frame outside usable memory, a
// carved-out frame, or the same frame twice; a bad free is an error value.
// Pure logic: the bitmaps' storage is given to it (host-tested).

#include <stddef.h>
#include <stdint.h>

#include "arch/page_size.h"
#include "boot/memory_map.h"
#include "lib/result.h"

namespace mm {

inline constexpr uint64_t kFrameSize = arch::kPageSize;

struct FrameRange {
    uint64_t base; // physical, bytes
    uint64_t length; // bytes
    const char* what;
};

struct FrameStatistics {
    uint64_t total; // frames from 0 to the end of the highest usable region
    uint64_t usable; // frames that may be handed out (usable, not carved out)
    uint64_t free;
    uint64_t used; // usable - free
};

enum class FrameError : uint8_t {
    OutOfMemory,
    NotAligned,
    OutOfRange, // beyond the map, or never usable (reserved, carved out)
    DoubleFree,
};
const char* describe(FrameError error);

class FrameAllocator {
public:
    // Bytes of bitmap storage init() needs for this map (both bitmaps).
    static size_t bitmap_bytes(boot::MemoryMapView map);

    // storage: bitmap_bytes() bytes, 8-byte aligned. carve_outs: ranges of
    // usable memory that are already taken (kernel, boot data, the bitmaps).
    void init(
        boot::MemoryMapView map, uint64_t* storage, const FrameRange* carve_outs, size_t carve_out_count);

    lib::Result<uint64_t, FrameError> allocate();
    lib::Result<void, FrameError> free(uint64_t physical);

    bool is_usable(uint64_t physical) const;
    bool is_used(uint64_t physical) const;
    const FrameStatistics& statistics() const { return m_statistics; }

private:
    static bool test(const uint64_t* bits, uint64_t frame) { return (bits[frame / 64] >> (frame % 64)) & 1; }
    static void set(uint64_t* bits, uint64_t frame) { bits[frame / 64] |= 1ull << (frame % 64); }
    static void clear(uint64_t* bits, uint64_t frame) { bits[frame / 64] &= ~(1ull << (frame % 64)); }
    // Sets (value) or clears frames [first, end), whole words at a time.
    static void fill_range(uint64_t* bits, uint64_t first, uint64_t end, bool value);

    uint64_t* m_usable = nullptr; // 1 = may be handed out
    uint64_t* m_used = nullptr; // 1 = handed out
    uint64_t m_words = 0;
    uint64_t m_next_word = 0; // where the next search starts (next fit)
    FrameStatistics m_statistics {};
};

} // namespace mm
