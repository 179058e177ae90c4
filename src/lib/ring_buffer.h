#pragma once

// A fixed-capacity FIFO of bytes: an interrupt handler pushes, the kernel
// pops. Full means new bytes are dropped and counted, never overwritten.
// The first byte queued after a drop carries a mark, so the reader knows
// exactly where in the stream bytes went missing (a console must not run a
// line that lost some). Pure logic: host-tested. One producer and one
// consumer, with the consumer reading under an interrupt guard.

#include <stddef.h>
#include <stdint.h>

namespace lib {

template <size_t Capacity>
class RingBuffer {
    static_assert(
        Capacity > 0 && (Capacity & (Capacity - 1)) == 0, "a power of two: indices wrap by masking");

public:
    bool push(uint8_t byte)
    {
        if (size() == Capacity) {
            ++m_dropped;
            m_loss_pending = true;
            return false;
        }
        m_bytes[m_head & (Capacity - 1)] = byte;
        m_lost_before[m_head & (Capacity - 1)] = m_loss_pending;
        m_loss_pending = false;
        ++m_head;
        return true;
    }

    // lost_before: bytes were dropped between the byte popped before this
    // one and this one.
    bool pop(uint8_t& byte, bool& lost_before)
    {
        if (m_head == m_tail)
            return false;
        byte = m_bytes[m_tail & (Capacity - 1)];
        lost_before = m_lost_before[m_tail & (Capacity - 1)];
        ++m_tail;
        return true;
    }

    bool pop(uint8_t& byte)
    {
        bool lost_before = false;
        return pop(byte, lost_before);
    }

    size_t size() const { return m_head - m_tail; }
    bool empty() const { return m_head == m_tail; }
    // Bytes dropped since the start, and whether the latest drop comes after
    // every byte queued (no byte has been pushed since, to carry its mark).
    size_t dropped() const { return m_dropped; }
    // Bytes queued since the start (taken off or not).
    size_t queued() const { return m_head; }
    bool loss_pending() const { return m_loss_pending; }

private:
    uint8_t m_bytes[Capacity] {};
    bool m_lost_before[Capacity] {};
    size_t m_head = 0; // next write, counts up forever; size_t does not wrap in practice
    size_t m_tail = 0; // next read
    size_t m_dropped = 0;
    bool m_loss_pending = false;
};

} // namespace lib
