#pragma once

// Owners for what a kernel test takes from the kernel: a heap block, and
// frames. Each gives its memory back in its destructor, so a test that
// leaves early (a failed KASSERT returns) cleans up as one that runs to the
// end; the runner checks every test for leaks (src/ktest/leak_check.h).
// A test the watchdog stops leaves without running destructors: a hang
// may leak, and the runner says so.

#include <stddef.h>
#include <stdint.h>

#include "mm/kernel_heap.h"
#include "mm/physical_memory.h"

namespace ktest {

// One block from kalloc, or none (nullptr: not yet allocated, freed, or
// the heap refused).
class OwnedBlock {
public:
    OwnedBlock() = default;
    explicit OwnedBlock(size_t size, size_t alignment = 16) { allocate(size, alignment); }
    ~OwnedBlock() { free(); }
    OwnedBlock(const OwnedBlock&) = delete;
    OwnedBlock& operator=(const OwnedBlock&) = delete;

    // Frees the block held, if any, then takes a new one; false if the
    // heap refused.
    bool allocate(size_t size, size_t alignment = 16)
    {
        free();
        m_pointer = mm::kalloc(size, alignment);
        return m_pointer != nullptr;
    }
    void free()
    {
        mm::kfree(m_pointer);
        m_pointer = nullptr;
    }

    void* get() const { return m_pointer; }
    template <typename T>
    T* as() const
    {
        return static_cast<T*>(m_pointer);
    }
    explicit operator bool() const { return m_pointer != nullptr; }

private:
    void* m_pointer = nullptr;
};

// Frames from the frame allocator, kept in storage the caller provides
// (a test may hold more than a stack has room for).
class OwnedFrames {
public:
    OwnedFrames(uint64_t* storage, size_t capacity)
        : m_frames(storage)
        , m_capacity(capacity)
    {
    }
    ~OwnedFrames()
    {
        for (size_t i = 0; i < m_count; ++i)
            mm::free_frame(m_frames[i]);
    }
    OwnedFrames(const OwnedFrames&) = delete;
    OwnedFrames& operator=(const OwnedFrames&) = delete;

    // One more frame; false when the allocator has none left or the
    // storage is full.
    bool allocate()
    {
        if (m_count == m_capacity)
            return false;
        auto frame = mm::allocate_frame();
        if (!frame)
            return false;
        m_frames[m_count++] = frame.value();
        return true;
    }

    size_t count() const { return m_count; }
    uint64_t* begin() { return m_frames; }
    uint64_t* end() { return m_frames + m_count; }
    uint64_t& operator[](size_t index) { return m_frames[index]; }

private:
    uint64_t* m_frames;
    size_t m_capacity;
    size_t m_count = 0;
};

} // namespace ktest
