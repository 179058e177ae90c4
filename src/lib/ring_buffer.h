#pragma once

// A fixed-capacity FIFO of bytes: an interrupt handler pushes, the kernel
// pops. Full means new bytes are dropped and counted, never overwritten.
// Pure logic: host-tested. One producer and one consumer, with the
// consumer reading under an interrupt guard.

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
            return false;
        }
        m_bytes[m_head++ & (Capacity - 1)] = byte;
        return true;
    }

    bool pop(uint8_t& byte)
    {
        if (m_head == m_tail)
            return false;
        byte = m_bytes[m_tail++ & (Capacity - 1)];
        return true;
    }

    size_t size() const { return m_head - m_tail; }
    bool empty() const { return m_head == m_tail; }
    size_t dropped() const { return m_dropped; }

private:
    uint8_t m_bytes[Capacity] {};
    size_t m_head = 0; // next write, counts up forever; size_t does not wrap in practice
    size_t m_tail = 0; // next read
    size_t m_dropped = 0;
};

} // namespace lib
