#include "lib/line_editor.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using Action = lib::LineEditor::Action;

std::string type(lib::LineEditor& editor, const std::string& bytes, std::string* echoed = nullptr)
{
    for (char byte : bytes) {
        Action action = editor.feed(byte);
        if (echoed != nullptr && action == Action::Echo)
            *echoed += byte;
        if (echoed != nullptr && action == Action::Erase)
            *echoed += "\b \b";
    }
    return std::string(editor.line().data(), editor.line().size());
}

TEST(LineEditor, PrintableBytesJoinTheLineAndAreEchoed)
{
    lib::LineEditor editor;
    std::string echoed;
    EXPECT_EQ(type(editor, "help", &echoed), "help");
    EXPECT_EQ(echoed, "help");
    EXPECT_EQ(editor.feed('\r'), Action::Complete);
    EXPECT_EQ(std::string(editor.line().data(), editor.line().size()), "help");
}

TEST(LineEditor, BackspaceAndDeleteEraseTheLastByte)
{
    lib::LineEditor editor;
    std::string echoed;
    EXPECT_EQ(type(editor, "memx\b", &echoed), "mem");
    EXPECT_EQ(type(editor, "y\x7f"), "mem");
    EXPECT_EQ(echoed, "memx\b \b");
}

TEST(LineEditor, BackspaceOnAnEmptyLineDoesNothing)
{
    lib::LineEditor editor;
    EXPECT_EQ(editor.feed('\b'), Action::Nothing);
    EXPECT_EQ(editor.line().size(), 0u);
}

TEST(LineEditor, CarriageReturnLineFeedIsOneEnter)
{
    lib::LineEditor editor;
    type(editor, "cpu");
    EXPECT_EQ(editor.feed('\r'), Action::Complete);
    editor.clear();
    EXPECT_EQ(editor.feed('\n'), Action::Nothing);
    EXPECT_EQ(editor.feed('\n'), Action::Complete); // a lone LF is an Enter too
}

TEST(LineEditor, ControlBytesAndOverflowAreIgnored)
{
    lib::LineEditor editor;
    EXPECT_EQ(editor.feed('\x1b'), Action::Nothing);
    EXPECT_EQ(editor.feed('\t'), Action::Nothing);
    EXPECT_EQ(editor.feed(static_cast<char>(0xC3)), Action::Nothing);
    std::string long_line(lib::LineEditor::kCapacity + 10, 'a');
    EXPECT_EQ(type(editor, long_line).size(), lib::LineEditor::kCapacity);
}

TEST(LineEditor, TheFirstBytePastTheLimitIsAnOverflowAndTheLineStaysOverflowed)
{
    lib::LineEditor editor;
    std::string full(lib::LineEditor::kCapacity, 'a');
    type(editor, full);
    EXPECT_FALSE(editor.overflowed());
    EXPECT_EQ(editor.feed('b'), Action::Overflow);
    EXPECT_EQ(editor.feed('c'), Action::Nothing); // announced once
    EXPECT_EQ(editor.bytes_past_capacity(), 2u);
    EXPECT_EQ(editor.feed('\b'), Action::Erase);
    EXPECT_EQ(editor.feed('d'), Action::Echo); // room again, but bytes were lost
    EXPECT_EQ(editor.feed('\r'), Action::Complete);
    EXPECT_TRUE(editor.overflowed());
    editor.clear();
    EXPECT_FALSE(editor.overflowed());
    EXPECT_EQ(editor.bytes_past_capacity(), 0u);
}

TEST(LineEditor, ALineThatLostInputSaysSoUntilCleared)
{
    lib::LineEditor editor;
    type(editor, "tic");
    editor.mark_input_lost();
    type(editor, "ks\r");
    EXPECT_TRUE(editor.input_lost());
    editor.clear();
    EXPECT_FALSE(editor.input_lost());
}

} // namespace
