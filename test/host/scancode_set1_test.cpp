#include "drivers/scancode_set1.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

// Feeds bytes and collects the characters of the press events.
std::string type(drivers::ScancodeSet1Decoder& decoder, const std::vector<uint8_t>& bytes)
{
    std::string typed;
    drivers::KeyEvent event {};
    for (uint8_t byte : bytes) {
        if (decoder.feed(byte, event) && event.pressed && event.character != 0)
            typed += event.character;
    }
    return typed;
}

TEST(ScancodeSet1, LettersDigitsAndPunctuation)
{
    drivers::ScancodeSet1Decoder decoder;
    // h i space 1 minus enter, each press then release
    EXPECT_EQ(
        type(decoder, { 0x23, 0xA3, 0x17, 0x97, 0x39, 0xB9, 0x02, 0x82, 0x0C, 0x8C, 0x1C, 0x9C }), "hi 1-\n");
}

TEST(ScancodeSet1, ShiftGivesUpperCaseAndSymbols)
{
    drivers::ScancodeSet1Decoder decoder;
    EXPECT_EQ(type(decoder, { 0x2A, 0x23, 0xA3, 0x02, 0x82, 0xAA, 0x23, 0xA3 }), "H!h");
    EXPECT_EQ(type(decoder, { 0x36, 0x28, 0xA8, 0xB6 }), "\""); // right shift + quote
}

TEST(ScancodeSet1, CapsLockTogglesLettersOnly)
{
    drivers::ScancodeSet1Decoder decoder;
    EXPECT_EQ(type(decoder, { 0x3A, 0xBA, 0x1E, 0x9E, 0x02, 0x82 }), "A1");
    EXPECT_EQ(type(decoder, { 0x2A, 0x1E, 0x9E, 0xAA }), "a"); // shift undoes caps lock
    EXPECT_EQ(type(decoder, { 0x3A, 0xBA, 0x1E, 0x9E }), "a"); // second press turns it off
}

TEST(ScancodeSet1, ControlMakesControlCharacters)
{
    drivers::ScancodeSet1Decoder decoder;
    EXPECT_EQ(type(decoder, { 0x1D, 0x2E, 0xAE, 0x9D, 0x2E, 0xAE }),
        "\x03"
        "c");
    // Right control (E0 1D) as well.
    EXPECT_EQ(type(decoder, { 0xE0, 0x1D, 0x2E, 0xAE, 0xE0, 0x9D }), "\x03");
}

TEST(ScancodeSet1, ExtendedKeysAreNamedAndPrefixAloneIsNoEvent)
{
    drivers::ScancodeSet1Decoder decoder;
    drivers::KeyEvent event {};
    EXPECT_FALSE(decoder.feed(0xE0, event));
    ASSERT_TRUE(decoder.feed(0x48, event));
    EXPECT_TRUE(event.extended);
    EXPECT_TRUE(event.pressed);
    EXPECT_STREQ(event.name, "Up");
    EXPECT_EQ(event.character, 0);
    ASSERT_TRUE(decoder.feed(0x1C, event)); // not extended again: plain Enter
    EXPECT_FALSE(event.extended);
    EXPECT_STREQ(event.name, "Enter");
}

TEST(ScancodeSet1, ReleasesAndUnknownCodes)
{
    drivers::ScancodeSet1Decoder decoder;
    drivers::KeyEvent event {};
    ASSERT_TRUE(decoder.feed(0x9E, event));
    EXPECT_FALSE(event.pressed);
    EXPECT_STREQ(event.name, "A");
    ASSERT_TRUE(decoder.feed(0x7F, event));
    EXPECT_STREQ(event.name, "Unknown");
    EXPECT_EQ(event.character, 0);
}

} // namespace
