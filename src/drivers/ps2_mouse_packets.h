#pragma once

// Decodes the PS/2 mouse's movement packets (IBM PS/2 mouse technical
// reference; Microsoft IntelliMouse for the 4-byte form) into moves,
// buttons and wheel turns. Pure logic: host-tested.
//
// A standard packet is 3 bytes: flags (bit 3 always set; buttons in bits
// 0-2; the X and Y sign bits 4-5 and overflow bits 6-7), then X and Y as
// the low 8 bits of 9-bit two's-complement deltas. An IntelliMouse (ID 3)
// adds a fourth byte, the wheel as a signed 4-bit count. Y grows upwards.
//
// Sync: a byte taken as a packet's first must have bit 3 set. When one
// does not, the decoder drops bytes until one does, and counts them; a
// lost byte thus costs at most the packets it runs through, not every
// packet after it. An overflowed packet is counted and its deltas dropped
// (the values are meaningless), its buttons kept.

#include <stddef.h>
#include <stdint.h>

namespace drivers {

struct MouseEvent {
    int16_t dx; // right is positive
    int16_t dy; // up is positive
    int8_t wheel; // away from the user is negative (IntelliMouse: the 4-bit count as sent)
    bool left, right, middle;
    bool overflow; // a delta overflowed: dx and dy are 0
};

class MousePacketDecoder {
public:
    // packet_size: 3, or 4 for a mouse in IntelliMouse mode (ID 3).
    explicit MousePacketDecoder(size_t packet_size = 3);

    // Feeds one byte from port 2; true when it completes a packet.
    bool feed(uint8_t byte, MouseEvent& event);

    size_t packet_size() const { return m_packet_size; }
    // Bytes dropped while looking for a packet's first byte.
    uint64_t bytes_dropped_for_sync() const { return m_dropped; }
    uint64_t overflowed_packets() const { return m_overflows; }

private:
    size_t m_packet_size;
    uint8_t m_bytes[4] = {};
    size_t m_count = 0;
    uint64_t m_dropped = 0;
    uint64_t m_overflows = 0;
};

} // namespace drivers
