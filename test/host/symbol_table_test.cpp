#include "lib/symbol_table.h"

#include <gtest/gtest.h>

#include <string>

namespace {

constexpr char kNames[] = "first\0second\0sizeless\0";
constexpr lib::SymbolEntry kEntries[] = {
    { 0x1000, 0x10, 0 }, // first: 0x1000..0x100f
    { 0x1020, 0x20, 6 }, // second: 0x1020..0x103f
    { 0x2000, 0, 13 }, // sizeless: everything from 0x2000 on
};
const lib::SymbolTable kTable(kEntries, 3, kNames);

std::string name_at(uint64_t address)
{
    lib::SymbolLocation location = kTable.find(address);
    return location.found ? std::string(location.name.data(), location.name.size()) : "(none)";
}

TEST(SymbolTable, FindsTheContainingFunctionAndOffset)
{
    EXPECT_EQ(name_at(0x1000), "first");
    EXPECT_EQ(name_at(0x100f), "first");
    EXPECT_EQ(kTable.find(0x100f).offset, 0xfu);
    EXPECT_EQ(name_at(0x1020), "second");
    EXPECT_EQ(kTable.find(0x1030).offset, 0x10u);
}

TEST(SymbolTable, GapsAndOutsideAddressesHaveNoSymbol)
{
    EXPECT_EQ(name_at(0x0fff), "(none)");
    EXPECT_EQ(name_at(0x1010), "(none)"); // past first's size, before second
    EXPECT_EQ(name_at(0x1040), "(none)");
}

TEST(SymbolTable, SizelessSymbolsReachToTheNextOne)
{
    EXPECT_EQ(name_at(0x2000), "sizeless");
    EXPECT_EQ(name_at(0xffffffff), "sizeless");
}

TEST(SymbolTable, EmptyTableFindsNothing)
{
    lib::SymbolTable empty(kEntries, 0, kNames);
    EXPECT_FALSE(empty.find(0x1000).found);
}

} // namespace
