#include "lib/symbol_table.h"

#include <gtest/gtest.h>

#include <string>

namespace {

constexpr uint64_t kBase = 0xffffffff80100000;
// Codes 0x80 = "fi", 0x81 = 0x80 'r' = "fir", 0x82 = "se", 0x83 = 0x81 "st" = ...
// (a code's bytes are characters or lower codes), the rest unused.
constexpr lib::SymbolToken kTokens[lib::kSymbolTokenCount] = {
    { 'f', 'i' },
    { 0x80, 'r' },
    { 's', 'e' },
    { 0x81, 's' },
};
// "first", "second", "sizeless", compressed with the codes above.
constexpr char kNames[] = "\203t\0\202cond\0sizeless\0";
constexpr lib::SymbolEntry kEntries[] = {
    { 0x0, 0x10, 0 }, // first: base .. base + 0xf
    { 0x20, 0x20, 3 }, // second: base + 0x20 .. base + 0x3f
    { 0x1000, 0, 9 }, // sizeless: everything from base + 0x1000 on
};
const lib::SymbolTable kTable(kBase, kEntries, 3, kNames, kTokens);

std::string name_in(const lib::SymbolTable& table, uint64_t address)
{
    lib::SymbolLocation location = table.find(address);
    if (!location.found)
        return "(none)";
    lib::SymbolName name = table.name_of(location);
    return std::string(name.view().data(), name.view().size());
}

std::string name_at(uint64_t address)
{
    return name_in(kTable, address);
}

TEST(SymbolTable, FindsTheContainingFunctionAndOffset)
{
    EXPECT_EQ(name_at(kBase), "first");
    EXPECT_EQ(name_at(kBase + 0xf), "first");
    EXPECT_EQ(kTable.find(kBase + 0xf).offset, 0xfu);
    EXPECT_EQ(name_at(kBase + 0x20), "second");
    EXPECT_EQ(kTable.find(kBase + 0x30).offset, 0x10u);
}

TEST(SymbolTable, GapsAndOutsideAddressesHaveNoSymbol)
{
    EXPECT_EQ(name_at(kBase - 1), "(none)");
    EXPECT_EQ(name_at(0), "(none)");
    EXPECT_EQ(name_at(kBase + 0x10), "(none)"); // past first's size, before second
    EXPECT_EQ(name_at(kBase + 0x40), "(none)");
}

TEST(SymbolTable, SizelessSymbolsReachToTheNextOne)
{
    EXPECT_EQ(name_at(kBase + 0x1000), "sizeless");
    EXPECT_EQ(name_at(0xffffffffffffffff), "sizeless");
}

TEST(SymbolTable, EmptyTableFindsNothing)
{
    lib::SymbolTable empty(kBase, kEntries, 0, kNames, kTokens);
    EXPECT_FALSE(empty.find(kBase).found);
    EXPECT_EQ(empty.name_of({}).view().size(), 0u);
}

TEST(SymbolTable, TokensExpandThroughEveryLevel)
{
    // 0xff stands for two 0xfe, each for two 0xfd, ... down to 'a' at 0x80:
    // 2^127 characters, far past the capacity, through 127 levels.
    lib::SymbolToken deep[lib::kSymbolTokenCount];
    deep[0] = { 'a', 'b' };
    for (size_t i = 1; i < lib::kSymbolTokenCount; ++i)
        deep[i] = { static_cast<uint8_t>(0x80 + i - 1), static_cast<uint8_t>(0x80 + i - 1) };
    constexpr char kDeepNames[] = "\377\0\201\0";
    constexpr lib::SymbolEntry kDeepEntries[] = { { 0, 1, 0 }, { 1, 1, 2 } };
    lib::SymbolTable table(kBase, kDeepEntries, 2, kDeepNames, deep);
    lib::SymbolName longest = table.name_of(table.find(kBase));
    EXPECT_TRUE(longest.truncated());
    ASSERT_EQ(longest.view().size(), lib::SymbolName::kCapacity);
    std::string text(longest.view().data(), longest.view().size());
    EXPECT_EQ(text.substr(0, 6), "ababab");
    EXPECT_EQ(text.substr(text.size() - 3), "...");
    EXPECT_EQ(name_in(table, kBase + 1), "abab");
}

TEST(SymbolTable, ATokenThatDoesNotShrinkBecomesAQuestionMarkInsteadOfLooping)
{
    lib::SymbolToken looping[lib::kSymbolTokenCount] = {};
    looping[0] = { 0x80, 'x' }; // refers to itself
    looping[1] = { 'y', 0x82 }; // refers to a higher code
    looping[2] = { 'z', '\0' }; // a NUL inside a name
    constexpr char kLoopingNames[] = "a\200b\0c\201d\0e\202f\0";
    constexpr lib::SymbolEntry kLoopingEntries[] = { { 0, 1, 0 }, { 1, 1, 4 }, { 2, 1, 8 } };
    lib::SymbolTable table(kBase, kLoopingEntries, 3, kLoopingNames, looping);
    EXPECT_EQ(name_in(table, kBase), "a?b");
    EXPECT_EQ(name_in(table, kBase + 1), "c?d");
    EXPECT_EQ(name_in(table, kBase + 2), "e?f");
}

} // namespace
