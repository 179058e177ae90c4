// TextScreen (src/drivers/text_screen.h): the screen console's grid, as
// the boot tests' model terminal (test/harness/screen.py) expects it.

#include "drivers/text_screen.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

using drivers::CellColours;
using drivers::TextColour;
using drivers::TextScreen;

std::string row_text(const TextScreen& screen, uint32_t row)
{
    std::string text;
    for (uint32_t column = 0; column < screen.columns(); ++column)
        text += screen.cell(row, column).character;
    return text.substr(0, text.find_last_not_of(' ') + 1);
}

std::unique_ptr<TextScreen> screen_of(uint32_t columns, uint32_t rows)
{
    auto screen = std::make_unique<TextScreen>(); // about 70 KiB: not on the stack
    screen->reset(columns, rows);
    return screen;
}

constexpr CellColours kDefault = drivers::kDefaultColours;
constexpr CellColours kPanic { TextColour::White, TextColour::Red };

TEST(TextScreen, WritesLinesAndWrapsLongOnes)
{
    auto screen = screen_of(10, 4);
    screen->write("abc\n0123456789XY\n");
    EXPECT_EQ(row_text(*screen, 0), "abc");
    EXPECT_EQ(row_text(*screen, 1), "0123456789");
    EXPECT_EQ(row_text(*screen, 2), "XY");
    EXPECT_EQ(screen->cursor_row(), 3u);
    EXPECT_EQ(screen->cursor_column(), 0u);
    EXPECT_EQ(screen->take_scrolled_rows(), 0u);
}

TEST(TextScreen, ALineOfExactlyTheWidthDoesNotLeaveAnEmptyRow)
{
    auto screen = screen_of(4, 3);
    screen->write("abcd\nef");
    EXPECT_EQ(row_text(*screen, 0), "abcd");
    EXPECT_EQ(row_text(*screen, 1), "ef");
}

TEST(TextScreen, ScrollsAndCountsTheRowsScrolled)
{
    auto screen = screen_of(8, 3);
    screen->write("1\n2\n3\n4\n5");
    EXPECT_EQ(row_text(*screen, 0), "3");
    EXPECT_EQ(row_text(*screen, 1), "4");
    EXPECT_EQ(row_text(*screen, 2), "5");
    EXPECT_EQ(screen->take_scrolled_rows(), 2u);
    EXPECT_EQ(screen->take_scrolled_rows(), 0u);
    for (int i = 0; i < 10; ++i)
        screen->write("x\n");
    EXPECT_EQ(screen->take_scrolled_rows(), 3u) << "at most a screenful";
}

TEST(TextScreen, ColoursTheLeadingTagAndOnlyIt)
{
    auto screen = screen_of(40, 4);
    screen->write("[BOOT] ready [PANIC]\n");
    for (uint32_t column = 0; column < 6; ++column)
        EXPECT_EQ(screen->cell(0, column).colours.foreground, TextColour::LightGreen) << column;
    for (uint32_t column = 6; column < 20; ++column)
        EXPECT_EQ(screen->cell(0, column).colours, kDefault) << column;
}

TEST(TextScreen, APanicLineStandsOutWholeAndTheNextLineDoesNot)
{
    auto screen = screen_of(40, 4);
    screen->write("[PANIC] out of memory\nnext");
    for (uint32_t column = 0; column < 21; ++column)
        EXPECT_EQ(screen->cell(0, column).colours, kPanic) << column;
    EXPECT_EQ(screen->cell(1, 0).colours, kDefault);
}

TEST(TextScreen, ATagSplitByAWrapIsColouredOnBothRows)
{
    auto screen = screen_of(4, 4);
    screen->write("[PANIC] x");
    EXPECT_EQ(row_text(*screen, 0), "[PAN");
    EXPECT_EQ(screen->cell(0, 0).colours, kPanic);
    EXPECT_EQ(screen->cell(1, 2).colours, kPanic) << "the ']'";
    EXPECT_EQ(screen->cell(2, 0).colours, kPanic) << "the message";
}

TEST(TextScreen, NotATag)
{
    auto screen = screen_of(40, 4);
    screen->write("[unknown] a\n x[BOOT]\n[NOSUCHTAG] b\n[BOOT");
    EXPECT_EQ(screen->cell(0, 0).colours, kDefault) << "lower case is no tag name";
    EXPECT_EQ(screen->cell(1, 2).colours, kDefault) << "not at the line's start";
    EXPECT_EQ(screen->cell(2, 0).colours, kDefault) << "an unknown name";
    EXPECT_EQ(screen->cell(3, 0).colours, kDefault) << "never closed";
}

TEST(TextScreen, BackspaceCarriageReturnAndTab)
{
    auto screen = screen_of(5, 3);
    screen->write("abcde");
    screen->write("f\b\b \b");
    EXPECT_EQ(row_text(*screen, 0), "abcd");
    EXPECT_EQ(screen->cursor_row(), 0u);
    EXPECT_EQ(screen->cursor_column(), 4u) << "back across the wrap";
    screen->write("\rX");
    EXPECT_EQ(row_text(*screen, 0), "Xbcd");
    auto tabs = screen_of(20, 2);
    tabs->write("a\tb");
    EXPECT_EQ(row_text(*tabs, 0), "a       b");
}

TEST(TextScreen, ATabOnARowNarrowerThanATabStopEndsAtTheRowsEnd)
{
    auto screen = screen_of(5, 1);
    screen->write("a\tb");
    EXPECT_EQ(row_text(*screen, 0), "b") << "the tab filled the row; b wrapped (and scrolled)";
    auto one = screen_of(1, 1);
    one->write("\t\t");
    EXPECT_EQ(one->cursor_column(), 1u);
}

TEST(TextScreen, BytesWithoutAGlyphShowAsAQuestionMark)
{
    auto screen = screen_of(10, 2);
    screen->write(lib::StringView("a\x01\xff"
                                  "b",
        4));
    EXPECT_EQ(row_text(*screen, 0), "a??b");
}

TEST(TextScreen, SizesAreClampedToTheGrid)
{
    auto screen = screen_of(0, 100000);
    EXPECT_EQ(screen->columns(), 1u);
    EXPECT_EQ(screen->rows(), TextScreen::kMaxRows);
    screen->reset(100000, 0);
    EXPECT_EQ(screen->columns(), TextScreen::kMaxColumns);
    EXPECT_EQ(screen->rows(), 1u);
    screen->write("abc\ndef");
    EXPECT_EQ(row_text(*screen, 0), "def");
}

} // namespace
