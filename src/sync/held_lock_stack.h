#pragma once

// The locks one context holds, innermost last: one stack per CPU for
// spinlocks (interrupts are off while one is held, so the CPU is the
// context), and one per thread for sleeping locks. Pure (host-tested).
//
// An NMI may take a lock between any two instructions of push() or
// remove() and give it back before returning: push() reserves its slot
// (lock nullptr: "being filled", skipped by every search) before raising
// the depth, so a nested push lands above it and never on it.

#include <stddef.h>
#include <stdint.h>

#include "sync/lock_site.h"

namespace sync {

struct HeldLock {
    const void* lock = nullptr; // nullptr while the slot is being filled
    const LockClassKey* key = nullptr;
    // Taken again by the context that held it (reported): releasing this
    // record must not release the lock.
    bool recursive = false;
    Acquisition acquired;
};

class HeldLockStack {
public:
    static constexpr size_t kCapacity = 12;

    // Locks held, those past the capacity included.
    size_t depth() const { return m_depth + m_overflow; }
    // Recorded ones: entry(0) .. entry(recorded() - 1), innermost last.
    size_t recorded() const { return m_depth; }
    const HeldLock& entry(size_t index) const { return m_entries[index]; }

    // The record, its backtrace still empty (the caller may fill it in
    // place); nullptr (and only counted) when the stack is full.
    HeldLock* push(const void* lock, const LockClassKey* key, bool recursive, LockSite site)
    {
        if (m_depth == kCapacity) {
            ++m_overflow;
            return nullptr;
        }
        size_t slot = m_depth;
        m_entries[slot].lock = nullptr;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        m_depth = slot + 1;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        HeldLock& entry = m_entries[slot];
        entry.key = key;
        entry.recursive = recursive;
        entry.acquired.site = site;
        entry.acquired.frame_count = 0;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        entry.lock = lock;
        return &entry;
    }

    // The innermost record of that lock, or nullptr.
    const HeldLock* find(const void* lock) const
    {
        for (size_t i = m_depth; i-- > 0;) {
            if (m_entries[i].lock == lock)
                return &m_entries[i];
        }
        return nullptr;
    }

    // Removes the innermost record of that lock (locks may be released out
    // of order); recursive: whether it was a recursive acquisition's.
    // NotHeld when this context does not hold it (with locks past the
    // capacity, one of those is assumed released: Uncounted).
    enum class Removed : uint8_t { Recorded, Uncounted, NotHeld };
    Removed remove(const void* lock, bool& recursive)
    {
        for (size_t i = m_depth; i-- > 0;) {
            if (m_entries[i].lock != lock)
                continue;
            recursive = m_entries[i].recursive;
            for (size_t j = i; j + 1 < m_depth; ++j)
                m_entries[j] = m_entries[j + 1];
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
            --m_depth;
            return Removed::Recorded;
        }
        if (m_overflow > 0) {
            --m_overflow;
            return Removed::Uncounted;
        }
        return Removed::NotHeld;
    }

    // The innermost recorded lock, or nullptr when none is held.
    const HeldLock* innermost() const { return m_depth > 0 ? &m_entries[m_depth - 1] : nullptr; }

private:
    size_t m_depth = 0;
    size_t m_overflow = 0;
    HeldLock m_entries[kCapacity];
};

} // namespace sync
