// The kernel's namespace sync and POSIX's sync() (unistd.h, through
// gtest) cannot share the global scope: POSIX's is renamed here.
#define sync posix_sync
#include <gtest/gtest.h>
#undef sync

#include <string>
#include <vector>

#include "sync/lock_class_table.h"

namespace {

sync::LockClassKey key(const char* name, const char* file, uint32_t line)
{
    return sync::LockClassKey { name, { file, line }, 0 };
}

TEST(LockClassTable, LocksDeclaredAtOnePlaceShareTheirClass)
{
    sync::LockClassTable table;
    sync::LockClassKey first = key(nullptr, "a.cpp", 10);
    sync::LockClassKey second = key(nullptr, "a.cpp", 10);
    uint16_t number = table.find_or_add(first);
    EXPECT_NE(number, 0);
    EXPECT_EQ(table.find_or_add(second), number);
    EXPECT_EQ(table.key_of(number).declared.file, first.declared.file);
    EXPECT_EQ(table.key_of(number).declared.line, 10u);
    EXPECT_EQ(table.key_of(number).class_index, number);
    EXPECT_EQ(table.class_count(), 1u);
}

// A kernel test's lock lives on its stack and is gone when the test
// returns; the class stays, and later lookups compare against it. A table
// that kept a pointer to the first key read the dead stack (a kernel test
// run took a #GP in find_or_add, 2026-11-29; here ASan's
// stack-use-after-scope).
TEST(LockClassTable, AClassOutlivesTheLockThatRegisteredIt)
{
    sync::LockClassTable table;
    uint16_t number = 0;
    {
        sync::LockClassKey short_lived = key("lockdep test A", "src/sync/lock_validator_tests.cpp", 84);
        number = table.find_or_add(short_lived);
    }
    sync::LockClassKey other = key("lockdep test B", "src/sync/lock_validator_tests.cpp", 84);
    sync::LockClassKey again = key("lockdep test A", "src/sync/lock_validator_tests.cpp", 84);
    EXPECT_NE(table.find_or_add(other), number);
    EXPECT_EQ(table.find_or_add(again), number);
    EXPECT_STREQ(table.key_of(number).name, "lockdep test A");
    EXPECT_EQ(table.key_of(number).declared.line, 84u);
}

TEST(LockClassTable, TheFileNameIsComparedByItsText)
{
    sync::LockClassTable table;
    std::string copy = "src/mm/heap.cpp";
    sync::LockClassKey literal = key("heap", "src/mm/heap.cpp", 37);
    sync::LockClassKey other_copy = key("heap", copy.c_str(), 37);
    EXPECT_EQ(table.find_or_add(literal), table.find_or_add(other_copy));
}

TEST(LockClassTable, ANameLineOrFileOfItsOwnMakesAClassOfItsOwn)
{
    sync::LockClassTable table;
    sync::LockClassKey keys[] = {
        key(nullptr, "a.cpp", 10),
        key("run queue", "a.cpp", 10),
        key("wait queue", "a.cpp", 10),
        key(nullptr, "a.cpp", 11),
        key(nullptr, "b.cpp", 10),
    };
    std::vector<uint16_t> numbers;
    for (const sync::LockClassKey& each : keys)
        numbers.push_back(table.find_or_add(each));
    for (size_t i = 0; i < numbers.size(); ++i) {
        EXPECT_NE(numbers[i], 0);
        for (size_t j = i + 1; j < numbers.size(); ++j)
            EXPECT_NE(numbers[i], numbers[j]) << i << " and " << j;
    }
}

TEST(LockClassTable, AFullTableSaysSoAndStillFindsTheClassesItHas)
{
    sync::LockClassTable table;
    std::vector<sync::LockClassKey> keys;
    keys.reserve(sync::kMaxLockClasses + 1);
    for (uint32_t line = 1; line <= sync::kMaxLockClasses; ++line)
        keys.push_back(key(nullptr, "many.cpp", line));
    for (size_t i = 0; i + 1 < sync::kMaxLockClasses; ++i)
        EXPECT_EQ(table.find_or_add(keys[i]), i + 1);
    EXPECT_EQ(table.find_or_add(keys.back()), 0);
    EXPECT_EQ(table.class_count(), sync::kMaxLockClasses - 1);
    EXPECT_EQ(table.find_or_add(keys[5]), 6);
}

} // namespace
