#include "lib/format.h"

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <string>

namespace {

template <typename... Args>
std::string format(lib::StringView text, const Args&... args)
{
    char buffer[512];
    return std::string(lib::format_to_buffer(buffer, sizeof(buffer), text, args...).data());
}

TEST(Format, PlainTextAndBraceEscapes)
{
    EXPECT_EQ(format("no placeholders"), "no placeholders");
    EXPECT_EQ(format("{{}} and }}"), "{} and }");
    EXPECT_EQ(format(""), "");
}

TEST(Format, Decimal)
{
    EXPECT_EQ(format("{}", 0), "0");
    EXPECT_EQ(format("{}", 42u), "42");
    EXPECT_EQ(format("{}", -17), "-17");
    EXPECT_EQ(format("{}", INT64_MIN), "-9223372036854775808");
    EXPECT_EQ(format("{}", UINT64_MAX), "18446744073709551615");
    EXPECT_EQ(format("{} {}", static_cast<int8_t>(-1), static_cast<uint8_t>(255)), "-1 255");
}

TEST(Format, HexBinaryOctal)
{
    EXPECT_EQ(format("{:x}", 0xBEEFu), "beef");
    EXPECT_EQ(format("{:X}", 0xBEEFu), "BEEF");
    EXPECT_EQ(format("{:#x}", 0xBEEFu), "0xbeef");
    EXPECT_EQ(format("{:#x}", 0u), "0x0");
    EXPECT_EQ(format("{:b}", 5), "101");
    EXPECT_EQ(format("{:#b}", 5), "0b101");
    EXPECT_EQ(format("{:o}", 8), "10");
    EXPECT_EQ(format("{:#x}", -255), "-0xff");
    EXPECT_EQ(format("{:x}", UINT64_MAX), "ffffffffffffffff");
}

TEST(Format, WidthFillAndAlignment)
{
    EXPECT_EQ(format("[{:5}]", 42), "[   42]");
    EXPECT_EQ(format("[{:<5}]", 42), "[42   ]");
    EXPECT_EQ(format("[{:^6}]", 42), "[  42  ]");
    EXPECT_EQ(format("[{:*>6}]", "ab"), "[****ab]");
    EXPECT_EQ(format("[{:5}]", "ab"), "[ab   ]");
    EXPECT_EQ(format("[{:2}]", 12345), "[12345]"); // never truncates
}

TEST(Format, ZeroPaddingGoesAfterSignAndPrefix)
{
    EXPECT_EQ(format("{:08x}", 0xABCDu), "0000abcd");
    EXPECT_EQ(format("{:#010x}", 0xABCDu), "0x0000abcd");
    EXPECT_EQ(format("{:05}", -42), "-0042");
    EXPECT_EQ(format("{:#018x}", 0xFFFFFFFF80000000ull), "0xffffffff80000000");
}

TEST(Format, Pointers)
{
    auto* pointer = reinterpret_cast<void*>(0xFFFFFFFF80100000ull);
    EXPECT_EQ(format("{}", pointer), "0xffffffff80100000");
    EXPECT_EQ(format("{:p}", static_cast<const void*>(nullptr)), "0x0000000000000000");
    EXPECT_EQ(format("{}", nullptr), "0x0000000000000000");
    EXPECT_EQ(format("{:x}", pointer), "ffffffff80100000");
}

TEST(Format, StringsCharactersBooleans)
{
    const char* c_string = "text";
    char array[] = "array";
    EXPECT_EQ(format("{} {} {}", c_string, array, lib::StringView("view", 2)), "text array vi");
    EXPECT_EQ(format("{}", static_cast<const char*>(nullptr)), "(null)");
    EXPECT_EQ(format("{}{}", 'o', 'k'), "ok");
    EXPECT_EQ(format("{:d}", 'A'), "65");
    EXPECT_EQ(format("{:c}", 66), "B");
    EXPECT_EQ(format("{} {}", true, false), "true false");
    EXPECT_EQ(format("{:d}", true), "1");
}

enum class Colour : uint8_t { Red = 3 };

TEST(Format, EnumsPrintTheirValue)
{
    EXPECT_EQ(format("{}", Colour::Red), "3");
}

TEST(Format, MistakesAreVisibleNotFatal)
{
    EXPECT_EQ(format("{} {}", 1), "1 {missing}");
    EXPECT_EQ(format("{:q} {}", 1, 2), "{?} 2"); // unknown type keeps later arguments in place
    EXPECT_EQ(format("{:999}", 1), "{?}"); // width over the limit
    EXPECT_EQ(format("{name}", 1), "{?}");
    EXPECT_EQ(format("open {", 1), "open {?}");
    EXPECT_EQ(format("{}", 1, 2), "1"); // extra arguments are ignored
}

TEST(Format, BufferSinkTruncatesAndTerminates)
{
    char buffer[8];
    lib::BufferSink sink(buffer, sizeof(buffer));
    lib::format_to(sink, "{}", "0123456789");
    EXPECT_EQ(std::string(buffer), "0123456");
    EXPECT_TRUE(sink.truncated());
    EXPECT_EQ(sink.view().size(), 7u);
}

} // namespace
