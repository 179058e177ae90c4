#include "drivers/ps2_mouse_packets.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

using drivers::MouseEvent;
using drivers::MousePacketDecoder;

std::vector<MouseEvent> decode(MousePacketDecoder& decoder, const std::vector<uint8_t>& bytes)
{
    std::vector<MouseEvent> events;
    MouseEvent event {};
    for (uint8_t byte : bytes) {
        if (decoder.feed(byte, event))
            events.push_back(event);
    }
    return events;
}

TEST(Ps2MousePackets, DeltasAreNineBitTwosComplement)
{
    MousePacketDecoder decoder;
    // +5 right, +3 up; then -1, -256 (the sign bits: 0x10 X, 0x20 Y).
    auto events = decode(decoder, { 0x08, 0x05, 0x03, 0x38, 0xFF, 0x00 });
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].dx, 5);
    EXPECT_EQ(events[0].dy, 3);
    EXPECT_EQ(events[1].dx, -1);
    EXPECT_EQ(events[1].dy, -256);
    EXPECT_FALSE(events[1].overflow);
}

TEST(Ps2MousePackets, ButtonsComeFromTheFirstByte)
{
    MousePacketDecoder decoder;
    auto events = decode(decoder, { 0x09, 0, 0, 0x0A, 0, 0, 0x0C, 0, 0, 0x08, 0, 0 });
    ASSERT_EQ(events.size(), 4u);
    EXPECT_TRUE(events[0].left && !events[0].right && !events[0].middle);
    EXPECT_TRUE(!events[1].left && events[1].right && !events[1].middle);
    EXPECT_TRUE(!events[2].left && !events[2].right && events[2].middle);
    EXPECT_TRUE(!events[3].left && !events[3].right && !events[3].middle);
}

TEST(Ps2MousePackets, TheWheelIsTheFourthByteOfAnIntelliMouse)
{
    MousePacketDecoder decoder(4);
    auto events = decode(decoder, { 0x08, 1, 2, 0x01, 0x08, 0, 0, 0x0F, 0x08, 0, 0, 0x07, 0x08, 0, 0, 0x08 });
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(events[0].wheel, 1);
    EXPECT_EQ(events[0].dx, 1);
    EXPECT_EQ(events[0].dy, 2);
    EXPECT_EQ(events[1].wheel, -1);
    EXPECT_EQ(events[2].wheel, 7);
    EXPECT_EQ(events[3].wheel, -8);
    EXPECT_EQ(decoder.packet_size(), 4u);
}

TEST(Ps2MousePackets, ThreeBytePacketsHaveNoWheel)
{
    MousePacketDecoder decoder(3);
    auto events = decode(decoder, { 0x08, 1, 1, 0x08, 2, 2 });
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].wheel, 0);
    EXPECT_EQ(events[1].dx, 2);
}

TEST(Ps2MousePackets, BytesBeforeAFirstByteAreDroppedAndCounted)
{
    MousePacketDecoder decoder;
    // A stream joined mid-packet: two bytes without bit 3, then a packet.
    auto events = decode(decoder, { 0x05, 0x03, 0x09, 0x02, 0x04 });
    ASSERT_EQ(events.size(), 1u);
    EXPECT_TRUE(events[0].left);
    EXPECT_EQ(events[0].dx, 2);
    EXPECT_EQ(events[0].dy, 4);
    EXPECT_EQ(decoder.bytes_dropped_for_sync(), 2u);
}

TEST(Ps2MousePackets, ALostByteCostsOnlyThePacketsItRunsThrough)
{
    MousePacketDecoder decoder;
    // The first packet lost its Y byte: the next packet's first byte (0x08)
    // completes it, so that packet's X and Y arrive where a first byte
    // should; neither has bit 3, both are dropped, and the decoder is back
    // in step at the following packet.
    std::vector<uint8_t> bytes = { 0x08, 0x01, /* lost */ 0x08, 0x02, 0x02 };
    for (int i = 0; i < 4; ++i) // then good packets with small deltas
        bytes.insert(bytes.end(), { 0x08, 0x03, 0x03 });
    auto events = decode(decoder, bytes);
    ASSERT_FALSE(events.empty());
    // Once back in step, every later packet decodes as sent.
    EXPECT_EQ(events.back().dx, 3);
    EXPECT_EQ(events.back().dy, 3);
    EXPECT_GE(decoder.bytes_dropped_for_sync(), 1u);
}

TEST(Ps2MousePackets, AnOverflowKeepsButtonsAndDropsDeltas)
{
    MousePacketDecoder decoder;
    auto events = decode(decoder, { 0x49, 0xFF, 0x10 });
    ASSERT_EQ(events.size(), 1u);
    EXPECT_TRUE(events[0].overflow);
    EXPECT_TRUE(events[0].left);
    EXPECT_EQ(events[0].dx, 0);
    EXPECT_EQ(events[0].dy, 0);
    EXPECT_EQ(decoder.overflowed_packets(), 1u);
}

} // namespace
