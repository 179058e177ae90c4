// The kernel's namespace sync and POSIX's sync() (unistd.h, through
// gtest) cannot share the global scope: POSIX's is renamed here.
#define sync posix_sync
#include <gtest/gtest.h>
#undef sync

#include "sync/held_lock_stack.h"

namespace {

int g_locks[32];

sync::HeldLock* push(sync::HeldLockStack& stack, int index, uint32_t line = 0, bool recursive = false)
{
    return stack.push(&g_locks[index], nullptr, recursive, { "test.cpp", line });
}

TEST(HeldLockStack, PushAndRemoveInOrder)
{
    sync::HeldLockStack stack;
    EXPECT_EQ(stack.innermost(), nullptr);
    push(stack, 0, 1);
    push(stack, 1, 2);
    EXPECT_EQ(stack.depth(), 2u);
    ASSERT_NE(stack.innermost(), nullptr);
    EXPECT_EQ(stack.innermost()->acquired.site.line, 2u);
    bool recursive = false;
    EXPECT_EQ(stack.remove(&g_locks[1], recursive), sync::HeldLockStack::Removed::Recorded);
    EXPECT_EQ(stack.innermost()->acquired.site.line, 1u);
}

TEST(HeldLockStack, ReleasedOutOfOrderTheOthersStayInOrder)
{
    sync::HeldLockStack stack;
    for (int i = 0; i < 4; ++i)
        push(stack, i, i);
    bool recursive = false;
    EXPECT_EQ(stack.remove(&g_locks[1], recursive), sync::HeldLockStack::Removed::Recorded);
    ASSERT_EQ(stack.recorded(), 3u);
    EXPECT_EQ(stack.entry(0).lock, &g_locks[0]);
    EXPECT_EQ(stack.entry(1).lock, &g_locks[2]);
    EXPECT_EQ(stack.entry(2).lock, &g_locks[3]);
    EXPECT_EQ(stack.find(&g_locks[1]), nullptr);
    EXPECT_NE(stack.find(&g_locks[2]), nullptr);
}

TEST(HeldLockStack, ALockNotHeldIsNotRemoved)
{
    sync::HeldLockStack stack;
    push(stack, 0);
    bool recursive = false;
    EXPECT_EQ(stack.remove(&g_locks[5], recursive), sync::HeldLockStack::Removed::NotHeld);
    EXPECT_EQ(stack.depth(), 1u);
}

TEST(HeldLockStack, TheInnermostOfTwoRecordsOfOneLockGoesFirst)
{
    sync::HeldLockStack stack;
    push(stack, 0, 1);
    push(stack, 0, 2, true);
    bool recursive = false;
    stack.remove(&g_locks[0], recursive);
    EXPECT_TRUE(recursive);
    EXPECT_EQ(stack.innermost()->acquired.site.line, 1u);
    stack.remove(&g_locks[0], recursive);
    EXPECT_FALSE(recursive);
}

TEST(HeldLockStack, PastItsCapacityItStillCounts)
{
    sync::HeldLockStack stack;
    for (size_t i = 0; i < sync::HeldLockStack::kCapacity; ++i)
        EXPECT_NE(push(stack, static_cast<int>(i)), nullptr);
    EXPECT_EQ(push(stack, 20), nullptr);
    EXPECT_EQ(push(stack, 21), nullptr);
    EXPECT_EQ(stack.depth(), sync::HeldLockStack::kCapacity + 2);
    bool recursive = false;
    EXPECT_EQ(stack.remove(&g_locks[21], recursive), sync::HeldLockStack::Removed::Uncounted);
    EXPECT_EQ(stack.remove(&g_locks[20], recursive), sync::HeldLockStack::Removed::Uncounted);
    EXPECT_EQ(stack.remove(&g_locks[20], recursive), sync::HeldLockStack::Removed::NotHeld);
    EXPECT_EQ(stack.depth(), sync::HeldLockStack::kCapacity);
}

} // namespace
