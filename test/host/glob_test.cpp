#include "lib/glob.h"

#include <gtest/gtest.h>

namespace {

using lib::glob_match;

TEST(Glob, LiteralsMatchOnlyThemselves)
{
    EXPECT_TRUE(glob_match("heap", "heap"));
    EXPECT_FALSE(glob_match("heap", "heaps"));
    EXPECT_FALSE(glob_match("heaps", "heap"));
    EXPECT_TRUE(glob_match("", ""));
    EXPECT_FALSE(glob_match("", "x"));
}

TEST(Glob, StarMatchesAnyRunIncludingNone)
{
    EXPECT_TRUE(glob_match("*", ""));
    EXPECT_TRUE(glob_match("*", "anything"));
    EXPECT_TRUE(glob_match("heap*", "heap"));
    EXPECT_TRUE(glob_match("heap*", "heap_random"));
    EXPECT_TRUE(glob_match("*random", "heap_random"));
    EXPECT_TRUE(glob_match("h*p*m", "heap_random"));
    EXPECT_FALSE(glob_match("h*x*m", "heap_random"));
    EXPECT_TRUE(glob_match("**a**", "a"));
}

TEST(Glob, QuestionMarkMatchesExactlyOne)
{
    EXPECT_TRUE(glob_match("he?p", "heap"));
    EXPECT_FALSE(glob_match("he?p", "hep"));
    EXPECT_FALSE(glob_match("?", ""));
}

TEST(Glob, BacktracksWhenAnEarlyStarTakesTooLittle)
{
    EXPECT_TRUE(glob_match("*ab", "aab"));
    EXPECT_TRUE(glob_match("a*b*c", "abbbbbc"));
    EXPECT_TRUE(glob_match("*aab", "aaaab"));
    EXPECT_FALSE(glob_match("*aab", "aaaba"));
}

} // namespace
