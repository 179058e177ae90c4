#include "mm/frame_allocator.h"

#include "lib/bits.h"

namespace mm {
const char* describe(FrameError error)
{
    switch (error) {
    case FrameError::OutOfMemory:
        return "out of physical memory";
    case FrameError::NotAligned:
        return "address is not frame-aligned";
    case FrameError::OutOfRange:
        return "frame was never usable memory";
    case FrameError::DoubleFree:
        return "frame is already free (double free)";
    }
    return "unknown error";
}

size_t FrameAllocator::bitmap_bytes(boot::MemoryMapView map)
{
    uint64_t words = (map.usable_top() / kFrameSize + 63) / 64;
    return static_cast<size_t>(2 * words * sizeof(uint64_t));
}

void FrameAllocator::fill_range(uint64_t* bits, uint64_t first, uint64_t end, bool value)
{
    auto fill_partial
        = [&](uint64_t word, uint64_t mask) { bits[word] = value ? bits[word] | mask : bits[word] & ~mask; };
    if (first >= end)
        return;
    uint64_t first_word = first / 64;
    uint64_t last_word = (end - 1) / 64;
    uint64_t head = ~0ull << (first % 64); // bits from first on
    uint64_t tail = ~0ull >> (63 - (end - 1) % 64); // bits up to end - 1
    if (first_word == last_word) {
        fill_partial(first_word, head & tail);
        return;
    }
    fill_partial(first_word, head);
    uint64_t whole = value ? ~0ull : 0;
    for (uint64_t word = first_word + 1; word < last_word; ++word)
        bits[word] = whole;
    fill_partial(last_word, tail);
}

void FrameAllocator::init(
    boot::MemoryMapView map, uint64_t* storage, const FrameRange* carve_outs, size_t carve_out_count)
{
    uint64_t frames = map.usable_top() / kFrameSize;
    m_words = (frames + 63) / 64;
    m_usable = storage;
    m_used = storage + m_words;
    for (uint64_t i = 0; i < m_words; ++i) {
        m_usable[i] = 0;
        m_used[i] = 0;
    }
    // The mended map has usable regions in whole frames. Ranges are filled
    // a word at a time: a frame at a time took 3 ms a GiB of memory under
    // QEMU, so boot time grew with the machine.
    for (const boot::MemoryRegion& region : map.usable_regions())
        fill_range(m_usable, region.base / kFrameSize, (region.base + region.length) / kFrameSize, true);
    // Carve-outs cover every frame they touch, even partly.
    for (size_t i = 0; i < carve_out_count; ++i) {
        uint64_t first = carve_outs[i].base / kFrameSize;
        uint64_t end = (carve_outs[i].base + carve_outs[i].length + kFrameSize - 1) / kFrameSize;
        fill_range(m_usable, first, end < frames ? end : frames, false);
    }
    if (frames > 0)
        clear(m_usable, 0); // frame 0 is never handed out: a null physical address stays invalid

    uint64_t usable = 0;
    for (uint64_t i = 0; i < m_words; ++i)
        usable += m_usable[i] == ~0ull ? 64 : lib::popcount64(m_usable[i]); // most words are whole
    m_statistics = { frames, usable, usable, 0 };
    m_next_word = 0;
}

lib::Result<uint64_t, FrameError> FrameAllocator::allocate()
{
    for (uint64_t scanned = 0; scanned < m_words; ++scanned) {
        uint64_t word = (m_next_word + scanned) % m_words;
        uint64_t candidates = m_usable[word] & ~m_used[word];
        if (candidates == 0)
            continue;
        uint64_t frame = word * 64 + static_cast<uint64_t>(__builtin_ctzll(candidates));
        set(m_used, frame);
        m_next_word = word;
        --m_statistics.free;
        ++m_statistics.used;
        return frame * kFrameSize;
    }
    return lib::fail(FrameError::OutOfMemory);
}

lib::Result<void, FrameError> FrameAllocator::free(uint64_t physical)
{
    if (physical % kFrameSize != 0)
        return lib::fail(FrameError::NotAligned);
    if (!is_usable(physical))
        return lib::fail(FrameError::OutOfRange);
    uint64_t frame = physical / kFrameSize;
    if (!test(m_used, frame))
        return lib::fail(FrameError::DoubleFree);
    clear(m_used, frame);
    ++m_statistics.free;
    --m_statistics.used;
    return {};
}

bool FrameAllocator::is_usable(uint64_t physical) const
{
    uint64_t frame = physical / kFrameSize;
    return frame < m_statistics.total && test(m_usable, frame);
}

bool FrameAllocator::is_used(uint64_t physical) const
{
    uint64_t frame = physical / kFrameSize;
    return frame < m_statistics.total && test(m_used, frame);
}

} // namespace mm
