#include "lib/ring_buffer.h"

#include <gtest/gtest.h>

namespace {

TEST(RingBuffer, FirstInFirstOut)
{
    lib::RingBuffer<4> ring;
    EXPECT_TRUE(ring.empty());
    ring.push('a');
    ring.push('b');
    uint8_t byte = 0;
    ASSERT_TRUE(ring.pop(byte));
    EXPECT_EQ(byte, 'a');
    ASSERT_TRUE(ring.pop(byte));
    EXPECT_EQ(byte, 'b');
    EXPECT_FALSE(ring.pop(byte));
}

TEST(RingBuffer, FullDropsNewBytesAndCountsThem)
{
    lib::RingBuffer<4> ring;
    for (uint8_t i = 0; i < 6; ++i)
        ring.push(i);
    EXPECT_EQ(ring.size(), 4u);
    EXPECT_EQ(ring.dropped(), 2u);
    uint8_t byte = 0;
    ring.pop(byte);
    EXPECT_EQ(byte, 0); // the oldest survived; the newest were dropped
}

TEST(RingBuffer, WrapsAroundManyTimes)
{
    lib::RingBuffer<8> ring;
    for (int round = 0; round < 1000; ++round) {
        ASSERT_TRUE(ring.push(static_cast<uint8_t>(round)));
        ASSERT_TRUE(ring.push(static_cast<uint8_t>(round + 1)));
        uint8_t first = 0, second = 0;
        ASSERT_TRUE(ring.pop(first));
        ASSERT_TRUE(ring.pop(second));
        ASSERT_EQ(first, static_cast<uint8_t>(round));
        ASSERT_EQ(second, static_cast<uint8_t>(round + 1));
    }
    EXPECT_TRUE(ring.empty());
}

} // namespace

namespace {

TEST(RingBuffer, TheFirstByteAfterADropCarriesTheMark)
{
    lib::RingBuffer<4> ring;
    for (uint8_t i = 0; i < 6; ++i) // 4 and 5 are dropped
        ring.push(i);
    EXPECT_TRUE(ring.loss_pending()); // lost after everything queued
    uint8_t byte = 0;
    bool lost_before = true;
    ASSERT_TRUE(ring.pop(byte, lost_before));
    EXPECT_EQ(byte, 0);
    EXPECT_FALSE(lost_before);
    ASSERT_TRUE(ring.push(6));
    EXPECT_FALSE(ring.loss_pending());
    for (uint8_t expected : { 1, 2, 3 }) {
        ASSERT_TRUE(ring.pop(byte, lost_before));
        EXPECT_EQ(byte, expected);
        EXPECT_FALSE(lost_before);
    }
    ASSERT_TRUE(ring.pop(byte, lost_before));
    EXPECT_EQ(byte, 6);
    EXPECT_TRUE(lost_before); // 4 and 5 went missing just before it
    ASSERT_TRUE(ring.push(7));
    ASSERT_TRUE(ring.pop(byte, lost_before));
    EXPECT_FALSE(lost_before); // the mark is not sticky
    EXPECT_EQ(ring.dropped(), 2u);
}

} // namespace
