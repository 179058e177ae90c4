// The kernel's namespace sync and POSIX's sync() (unistd.h, through
// gtest) cannot share the global scope: POSIX's is renamed here.
#define sync posix_sync
#include <gtest/gtest.h>
#undef sync

#include "sync/held_lock_stack.h"

namespace {

int g_locks[32];

sync::HeldLock held(int index, uint32_t line = 0)
{
    sync::HeldLock entry;
    entry.lock = &g_locks[index];
    entry.acquired.site = { "test.cpp", line };
    return entry;
}

TEST(HeldLockStack, PushAndRemoveInOrder)
{
    sync::HeldLockStack stack;
    EXPECT_EQ(stack.innermost(), nullptr);
    stack.push(held(0, 1));
    stack.push(held(1, 2));
    EXPECT_EQ(stack.depth(), 2u);
    ASSERT_NE(stack.innermost(), nullptr);
    EXPECT_EQ(stack.innermost()->acquired.site.line, 2u);
    sync::HeldLock removed;
    EXPECT_EQ(stack.remove(&g_locks[1], removed), sync::HeldLockStack::Removed::Recorded);
    EXPECT_EQ(removed.acquired.site.line, 2u);
    EXPECT_EQ(stack.innermost()->acquired.site.line, 1u);
}

TEST(HeldLockStack, ReleasedOutOfOrderTheOthersStayInOrder)
{
    sync::HeldLockStack stack;
    for (int i = 0; i < 4; ++i)
        stack.push(held(i, i));
    sync::HeldLock removed;
    EXPECT_EQ(stack.remove(&g_locks[1], removed), sync::HeldLockStack::Removed::Recorded);
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
    stack.push(held(0));
    sync::HeldLock removed;
    EXPECT_EQ(stack.remove(&g_locks[5], removed), sync::HeldLockStack::Removed::NotHeld);
    EXPECT_EQ(stack.depth(), 1u);
}

TEST(HeldLockStack, TheInnermostOfTwoRecordsOfOneLockGoesFirst)
{
    sync::HeldLockStack stack;
    stack.push(held(0, 1));
    stack.push(held(0, 2));
    sync::HeldLock removed;
    stack.remove(&g_locks[0], removed);
    EXPECT_EQ(removed.acquired.site.line, 2u);
    EXPECT_EQ(stack.innermost()->acquired.site.line, 1u);
}

TEST(HeldLockStack, PastItsCapacityItStillCounts)
{
    sync::HeldLockStack stack;
    for (size_t i = 0; i < sync::HeldLockStack::kCapacity; ++i)
        EXPECT_TRUE(stack.push(held(static_cast<int>(i))));
    EXPECT_FALSE(stack.push(held(20)));
    EXPECT_FALSE(stack.push(held(21)));
    EXPECT_EQ(stack.depth(), sync::HeldLockStack::kCapacity + 2);
    sync::HeldLock removed;
    EXPECT_EQ(stack.remove(&g_locks[21], removed), sync::HeldLockStack::Removed::Uncounted);
    EXPECT_EQ(stack.remove(&g_locks[20], removed), sync::HeldLockStack::Removed::Uncounted);
    EXPECT_EQ(stack.remove(&g_locks[20], removed), sync::HeldLockStack::Removed::NotHeld);
    EXPECT_EQ(stack.depth(), sync::HeldLockStack::kCapacity);
}

} // namespace
