#include "lib/command_line.h"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string str(lib::StringView view)
{
    return std::string(view.data(), view.size());
}

lib::CommandLine parse_ok(lib::StringView text)
{
    lib::CommandLine line = lib::CommandLine::parse(text);
    EXPECT_EQ(line.dropped_count(), 0u) << "for: " << str(text);
    return line;
}

// The one word (or tail) parse() dropped from text, as written there.
lib::CommandLineError dropped_one(lib::StringView text)
{
    lib::CommandLine line = lib::CommandLine::parse(text);
    EXPECT_EQ(line.dropped_count(), 1u) << "for: " << str(text);
    return line.dropped_count() == 0 ? lib::CommandLineError {} : line.dropped(0);
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
    lib::CommandLine copy = lib::CommandLine::parse("key=value");
    EXPECT_EQ(str(copy[0].value), "value");
}

// A bad word is dropped alone: the words around it still count.
TEST(CommandLine, AWordWithoutAKeyIsDroppedAlone)
{
    using Kind = lib::CommandLineError::Kind;
    lib::StringView text = "=value exit ok =x level=2";
    lib::CommandLine line = lib::CommandLine::parse(text);
    ASSERT_EQ(line.size(), 3u);
    EXPECT_EQ(str(line[0].key), "exit");
    EXPECT_EQ(str(line[1].key), "ok");
    EXPECT_EQ(str(line[2].value), "2");
    ASSERT_EQ(line.dropped_count(), 2u);
    EXPECT_EQ(line.dropped(0).kind, Kind::EmptyKey);
    EXPECT_EQ(str(text.substr(line.dropped(0).offset, line.dropped(0).length)), "=value");
    EXPECT_EQ(str(text.substr(line.dropped(1).offset, line.dropped(1).length)), "=x");
}

TEST(CommandLine, AnOpenQuoteDropsTheRestOfTheLineOnly)
{
    lib::StringView text = R"(exit key="open and more)";
    lib::CommandLine line = lib::CommandLine::parse(text);
    ASSERT_EQ(line.size(), 1u);
    EXPECT_EQ(str(line[0].key), "exit");
    lib::CommandLineError error = dropped_one(text);
    EXPECT_EQ(error.kind, lib::CommandLineError::Kind::UnterminatedQuote);
    EXPECT_EQ(str(text.substr(error.offset, error.length)), R"(key="open and more)");
}

TEST(CommandLine, ATrailingBackslashDropsTheLastWord)
{
    lib::StringView text = "exit end\\";
    lib::CommandLine line = lib::CommandLine::parse(text);
    ASSERT_EQ(line.size(), 1u);
    lib::CommandLineError error = dropped_one(text);
    EXPECT_EQ(error.kind, lib::CommandLineError::Kind::TrailingBackslash);
    EXPECT_EQ(str(text.substr(error.offset, error.length)), "end\\");
}

TEST(CommandLine, WordsPastTheLimitAreDroppedTheFirstOnesKept)
{
    std::string many = "exit";
    for (size_t i = 1; i <= lib::CommandLine::kMaxWords + 5; ++i)
        many += " w" + std::to_string(i);
    lib::CommandLine line = lib::CommandLine::parse(many.c_str());
    ASSERT_EQ(line.size(), lib::CommandLine::kMaxWords);
    EXPECT_EQ(str(line[0].key), "exit");
    EXPECT_EQ(str(line[lib::CommandLine::kMaxWords - 1].key), "w63");
    lib::CommandLineError error = dropped_one(many.c_str());
    EXPECT_EQ(error.kind, lib::CommandLineError::Kind::TooManyWords);
    EXPECT_EQ(
        str(lib::StringView(many.c_str()).substr(error.offset, error.length)), "w64 w65 w66 w67 w68 w69");
}

TEST(CommandLine, AWordCrossingTheLengthLimitIsDroppedWithTheRest)
{
    std::string text = "exit word=" + std::string(5000, 'x') + " after";
    lib::CommandLine line = lib::CommandLine::parse(text.c_str());
    ASSERT_EQ(line.size(), 1u);
    EXPECT_EQ(str(line[0].key), "exit");
    lib::CommandLineError error = dropped_one(text.c_str());
    EXPECT_EQ(error.kind, lib::CommandLineError::Kind::TooLong);
    EXPECT_EQ(error.offset, 5u);
    EXPECT_EQ(error.length, text.size() - 5);
    EXPECT_STRNE(error.describe(), "unknown error");
}

TEST(CommandLine, ManyBadWordsAreAllCounted)
{
    std::string text;
    for (size_t i = 0; i < lib::CommandLine::kMaxDroppedKept + 3; ++i)
        text += "=bad ";
    text += "exit";
    lib::CommandLine line = lib::CommandLine::parse(text.c_str());
    ASSERT_EQ(line.size(), 1u);
    EXPECT_EQ(line.dropped_count(), lib::CommandLine::kMaxDroppedKept + 3);
    EXPECT_EQ(
        line.dropped(lib::CommandLine::kMaxDroppedKept - 1).kind, lib::CommandLineError::Kind::EmptyKey);
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
