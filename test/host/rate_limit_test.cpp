#include "lib/rate_limit.h"

#include <gtest/gtest.h>

namespace {

TEST(RateLimit, LetsTheLimitThroughEachWindowAndCountsTheRest)
{
    lib::RateLimit limit(3, 1000);
    int allowed = 0;
    for (int i = 0; i < 10; ++i)
        allowed += limit.allow(500) ? 1 : 0;
    EXPECT_EQ(allowed, 3);
    EXPECT_EQ(limit.take_held_back(999), 0u); // the window is still open
    EXPECT_EQ(limit.take_held_back(1500), 7u);
    EXPECT_EQ(limit.take_held_back(1500), 0u); // taken once
    EXPECT_TRUE(limit.allow(1500)); // a new window
}

TEST(RateLimit, EveryEventIsEitherAllowedOrHeldBack)
{
    lib::RateLimit limit(5, 100);
    uint64_t allowed = 0, held_back = 0;
    for (uint64_t now = 0; now < 10000; now += 3) {
        for (int i = 0; i < 4; ++i)
            allowed += limit.allow(now) ? 1 : 0;
        held_back += limit.take_held_back(now);
    }
    held_back += limit.take_held_back(1000000);
    EXPECT_EQ(allowed + held_back, 4u * ((10000 + 2) / 3));
    EXPECT_LE(allowed, 5u * (10000 / 100 + 1));
}

} // namespace
