#include "lib/result.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace {

enum class TestError : uint8_t {
    Empty,
    TooBig,
};

lib::Result<uint32_t, TestError> halve(uint32_t number)
{
    if (number == 0)
        return lib::fail(TestError::Empty);
    if (number > 1000)
        return lib::fail(TestError::TooBig);
    return number / 2;
}

lib::Result<void, TestError> check_small(uint32_t number)
{
    if (number > 1000)
        return lib::fail(TestError::TooBig);
    return {};
}

// Records how far it got, so a test can see that TRY returned early.
struct Progress {
    bool reached_end = false;
};

lib::Result<uint32_t, TestError> halve_twice(uint32_t number, Progress& progress)
{
    uint32_t half = TRY(halve(number));
    uint32_t quarter = TRY(halve(half));
    progress.reached_end = true;
    return quarter;
}

lib::Result<void, TestError> check_then_halve(uint32_t number, Progress& progress)
{
    TRY(check_small(number));
    uint32_t half = TRY(halve(number));
    EXPECT_GT(half, 0u);
    progress.reached_end = true;
    return {};
}

TEST(Result, HoldsAValue)
{
    lib::Result<uint32_t, TestError> result = halve(42);
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(static_cast<bool>(result));
    EXPECT_EQ(result.value(), 21u);
    const auto& constant = result;
    EXPECT_EQ(constant.value(), 21u);
    EXPECT_EQ(result.release_value(), 21u);
}

TEST(Result, HoldsAnError)
{
    lib::Result<uint32_t, TestError> result = halve(0);
    EXPECT_FALSE(result.has_value());
    EXPECT_FALSE(static_cast<bool>(result));
    EXPECT_EQ(result.error(), TestError::Empty);
    EXPECT_EQ(halve(5000).error(), TestError::TooBig);
}

TEST(Result, VoidFormHoldsSuccessOrAnError)
{
    lib::Result<void, TestError> fine = check_small(7);
    EXPECT_TRUE(fine.has_value());
    EXPECT_TRUE(static_cast<bool>(fine));
    fine.value(); // nothing to read, and no misuse

    lib::Result<void, TestError> failed = check_small(1001);
    EXPECT_FALSE(failed.has_value());
    EXPECT_FALSE(static_cast<bool>(failed));
    EXPECT_EQ(failed.error(), TestError::TooBig);
}

TEST(Result, TryYieldsTheValueAndGoesOn)
{
    Progress progress;
    lib::Result<uint32_t, TestError> result = halve_twice(40, progress);
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result.value(), 10u);
    EXPECT_TRUE(progress.reached_end);
}

TEST(Result, TryReturnsTheFirstError)
{
    Progress progress;
    EXPECT_EQ(halve_twice(5000, progress).error(), TestError::TooBig);
    EXPECT_FALSE(progress.reached_end);
    // The first TRY succeeds (1 / 2 = 0), the second fails.
    EXPECT_EQ(halve_twice(1, progress).error(), TestError::Empty);
    EXPECT_FALSE(progress.reached_end);
}

TEST(Result, TryOnTheVoidForm)
{
    Progress progress;
    EXPECT_TRUE(check_then_halve(8, progress).has_value());
    EXPECT_TRUE(progress.reached_end);

    progress = Progress {};
    EXPECT_EQ(check_then_halve(2000, progress).error(), TestError::TooBig); // the void TRY returns
    EXPECT_FALSE(progress.reached_end);
    EXPECT_EQ(check_then_halve(0, progress).error(), TestError::Empty); // the valued TRY returns
    EXPECT_FALSE(progress.reached_end);
}

TEST(Result, TryEvaluatesItsExpressionOnce)
{
    int calls = 0;
    auto counted = [&]() -> lib::Result<void, TestError> {
        TRY(([&]() -> lib::Result<void, TestError> {
            ++calls;
            return {};
        })());
        return {};
    };
    EXPECT_TRUE(counted().has_value());
    EXPECT_EQ(calls, 1);
}

TEST(ResultDeathTest, ValueOnAnErrorDies)
{
    lib::Result<uint32_t, TestError> result = halve(0);
    EXPECT_DEATH((void)result.value(), "value\\(\\) read on a Result holding an error");
    const auto& constant = result;
    EXPECT_DEATH((void)constant.value(), "value\\(\\) read on a Result holding an error");
    EXPECT_DEATH((void)result.release_value(), "value\\(\\) read on a Result holding an error");
}

TEST(ResultDeathTest, VoidValueOnAnErrorDies)
{
    lib::Result<void, TestError> result = check_small(5000);
    EXPECT_DEATH(result.value(), "value\\(\\) read on a Result holding an error");
}

TEST(ResultDeathTest, ErrorOnAValueDies)
{
    lib::Result<uint32_t, TestError> result = halve(4);
    EXPECT_DEATH((void)result.error(), "error\\(\\) read on a Result holding a value");
    lib::Result<void, TestError> fine = check_small(4);
    EXPECT_DEATH((void)fine.error(), "error\\(\\) read on a Result holding a value");
}

// Counts its copies and destructions, to see what a Result does with a value.
struct Tracked {
    static inline int copies = 0;
    static inline int alive = 0;
    int payload;

    explicit Tracked(int value)
        : payload(value)
    {
        ++alive;
    }
    Tracked(const Tracked& other)
        : payload(other.payload)
    {
        ++copies;
        ++alive;
    }
    Tracked(Tracked&& other) noexcept
        : payload(other.payload)
    {
        ++alive;
    }
    Tracked& operator=(const Tracked&) = delete;
    Tracked& operator=(Tracked&&) = delete;
    ~Tracked() { --alive; }
};

TEST(Result, CopyingCopiesTheValueAndDestroysEachOnce)
{
    Tracked::copies = 0;
    Tracked::alive = 0;
    {
        lib::Result<Tracked, TestError> original = Tracked(7);
        EXPECT_EQ(Tracked::alive, 1);
        EXPECT_EQ(Tracked::copies, 0);
        lib::Result<Tracked, TestError> copy = original;
        EXPECT_EQ(Tracked::copies, 1);
        EXPECT_EQ(Tracked::alive, 2);
        copy.value().payload = 8;
        EXPECT_EQ(original.value().payload, 7); // a copy, not a shared value
        EXPECT_EQ(copy.value().payload, 8);
    }
    EXPECT_EQ(Tracked::alive, 0);
}

TEST(Result, CopyingAnErrorCopiesTheError)
{
    Tracked::alive = 0;
    {
        lib::Result<Tracked, TestError> original = lib::fail(TestError::TooBig);
        lib::Result<Tracked, TestError> copy = original;
        EXPECT_FALSE(copy.has_value());
        EXPECT_EQ(copy.error(), TestError::TooBig);
        EXPECT_EQ(Tracked::alive, 0); // no value was ever made
    }
    EXPECT_EQ(Tracked::alive, 0);

    lib::Result<void, TestError> failed = check_small(9999);
    lib::Result<void, TestError> failed_copy = failed;
    EXPECT_EQ(failed_copy.error(), TestError::TooBig);
    lib::Result<void, TestError> fine = check_small(1);
    lib::Result<void, TestError> fine_copy = fine;
    EXPECT_TRUE(fine_copy.has_value());
}

TEST(Result, CopyAssignmentIsNotOffered)
{
    // A Result is made once and read; assigning over one would have to
    // destroy whichever side it held.
    static_assert(!std::is_copy_assignable_v<lib::Result<uint32_t, TestError>>);
    static_assert(!std::is_copy_assignable_v<lib::Result<void, TestError>>);
    static_assert(std::is_copy_constructible_v<lib::Result<uint32_t, TestError>>);
    static_assert(std::is_copy_constructible_v<lib::Result<void, TestError>>);
}

} // namespace
