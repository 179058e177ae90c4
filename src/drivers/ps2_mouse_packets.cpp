#include "drivers/ps2_mouse_packets.h"

namespace drivers {
namespace {

// The first byte's bits.
constexpr uint8_t kLeftButton = 0x01;
constexpr uint8_t kRightButton = 0x02;
constexpr uint8_t kMiddleButton = 0x04;
constexpr uint8_t kAlwaysOne = 0x08;
constexpr uint8_t kXSign = 0x10;
constexpr uint8_t kYSign = 0x20;
constexpr uint8_t kXOverflow = 0x40;
constexpr uint8_t kYOverflow = 0x80;

// A 9-bit two's-complement delta from its low byte and its sign bit.
int16_t delta(uint8_t low, bool negative)
{
    return static_cast<int16_t>(negative ? static_cast<int16_t>(low) - 256 : low);
}

} // namespace

MousePacketDecoder::MousePacketDecoder(size_t packet_size)
    : m_packet_size(packet_size == 4 ? 4 : 3)
{
}

bool MousePacketDecoder::feed(uint8_t byte, MouseEvent& event)
{
    if (m_count == 0 && !(byte & kAlwaysOne)) {
        ++m_dropped; // not a first byte: out of sync
        return false;
    }
    m_bytes[m_count++] = byte;
    if (m_count < m_packet_size)
        return false;
    m_count = 0;

    uint8_t flags = m_bytes[0];
    event = MouseEvent {};
    event.left = flags & kLeftButton;
    event.right = flags & kRightButton;
    event.middle = flags & kMiddleButton;
    event.overflow = flags & (kXOverflow | kYOverflow);
    if (event.overflow) {
        ++m_overflows;
    } else {
        event.dx = delta(m_bytes[1], flags & kXSign);
        event.dy = delta(m_bytes[2], flags & kYSign);
    }
    if (m_packet_size == 4) {
        // The low 4 bits, sign-extended.
        auto nibble = static_cast<uint8_t>(m_bytes[3] & 0x0F);
        event.wheel = static_cast<int8_t>(nibble >= 8 ? static_cast<int>(nibble) - 16 : nibble);
    }
    return true;
}

} // namespace drivers
