#include "lib/command_line.h"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string str(lib::StringView view)
{
    return std::string(view.data(), view.size());
}

lib::CommandLine parse_ok(const char* text)
{
    auto parsed = lib::CommandLine::parse(text);
    EXPECT_TRUE(parsed.has_value()) << "for: " << text;
    return parsed.has_value() ? parsed.value() : lib::CommandLine::parse("").value();
}

lib::CommandLineError parse_error(lib::StringView text)
{
    auto parsed = lib::CommandLine::parse(text);
    EXPECT_FALSE(parsed.has_value());
    return parsed.has_value() ? lib::CommandLineError {} : parsed.error();
}

TEST(CommandLine, EmptyAndBlankLinesHaveNoWords)
{
    EXPECT_EQ(parse_ok("").size(), 0u);
    EXPECT_EQ(parse_ok("  \t  ").size(), 0u);
}

TEST(CommandLine, KeysAndKeyValues)
{
    auto line = parse_ok("exit  level=3\tmode=");
    ASSERT_EQ(line.size(), 3u);
    EXPECT_EQ(str(line[0].key), "exit");
    EXPECT_FALSE(line[0].has_value);
    EXPECT_EQ(str(line[1].key), "level");
    EXPECT_EQ(str(line[1].value), "3");
    EXPECT_TRUE(line[2].has_value);
    EXPECT_EQ(str(line[2].value), "");
}

TEST(CommandLine, OnlyTheFirstEqualsSplits)
{
    auto line = parse_ok("expr=a=b");
    EXPECT_EQ(str(line[0].key), "expr");
    EXPECT_EQ(str(line[0].value), "a=b");
}

TEST(CommandLine, GrubQuotingIsUndone)
{
    // What GRUB writes for the typed words: greeting="hello world" say=\"hi\"
    auto line = parse_ok(R"(exit "greeting=hello world" say=\"hi\" back=\\)");
    ASSERT_EQ(line.size(), 4u);
    EXPECT_EQ(str(line[1].key), "greeting");
    EXPECT_EQ(str(line[1].value), "hello world");
    EXPECT_EQ(str(line[2].value), "\"hi\"");
    EXPECT_EQ(str(line[3].value), "\\");
}

TEST(CommandLine, QuotedValueAfterEquals)
{
    auto line = parse_ok(R"(name="a b" next)");
    ASSERT_EQ(line.size(), 2u);
    EXPECT_EQ(str(line[0].value), "a b");
    EXPECT_EQ(str(line[1].key), "next");
}

TEST(CommandLine, EscapedEqualsStaysInTheKey)
{
    auto line = parse_ok(R"(a\=b=c)");
    EXPECT_EQ(str(line[0].key), "a=b");
    EXPECT_EQ(str(line[0].value), "c");
}

TEST(CommandLine, LaterWordsOverrideEarlierOnes)
{
    auto line = parse_ok("level=1 other level=2");
    EXPECT_EQ(str(line.find("level").value), "2");
    EXPECT_TRUE(line.contains("other"));
    EXPECT_FALSE(line.contains("missing"));
}

TEST(CommandLine, CopiesStayValid)
{
    auto parsed = lib::CommandLine::parse("key=value");
    lib::CommandLine copy = parsed.value();
    EXPECT_EQ(str(copy[0].value), "value");
}

TEST(CommandLine, Errors)
{
    using Kind = lib::CommandLineError::Kind;
    EXPECT_EQ(parse_error("ok =value").kind, Kind::EmptyKey);
    EXPECT_EQ(parse_error("ok =value").offset, 3u);
    EXPECT_EQ(parse_error(R"(key="open)").kind, Kind::UnterminatedQuote);
    EXPECT_EQ(parse_error("end\\").kind, Kind::TrailingBackslash);

    std::string many;
    for (size_t i = 0; i <= lib::CommandLine::kMaxWords; ++i)
        many += "w ";
    EXPECT_EQ(parse_error(many.c_str()).kind, Kind::TooManyWords);

    std::string long_line(lib::CommandLine::kMaxLength + 1, 'x');
    EXPECT_EQ(parse_error(long_line.c_str()).kind, Kind::TooLong);
    EXPECT_STRNE(parse_error(long_line.c_str()).describe(), "unknown error");
}

TEST(CommandLine, LongestLineFits)
{
    std::string longest(lib::CommandLine::kMaxLength, 'k');
    auto line = parse_ok(longest.c_str());
    EXPECT_EQ(line[0].key.size(), lib::CommandLine::kMaxLength);
}

TEST(CommandLine, NonAsciiBytesAreOrdinaryCharacters)
{
    auto line = parse_ok("name=caf\xc3\xa9 \xff");
    ASSERT_EQ(line.size(), 2u);
    EXPECT_EQ(str(line[0].value), "caf\xc3\xa9");
    EXPECT_EQ(str(line[1].key), "\xff");
}

} // namespace
