#pragma once

// The lock classes seen so far and the validator's numbers for them: a
// class is a key's name and declaration site, whichever lock carries it
// (one per instance of a struct's member, say). Fixed size, no heap; pure
// (host-tested). The validator (sync/lock_validator.cpp) serialises it.
//
// The table keeps its own copy of each class's name and site, never a
// pointer to the key that registered it: that key lives in a lock, and a
// lock may die before its class does (a kernel test's, on its stack). The
// name and file themselves are string literals (a lock's name, and
// __builtin_FILE()), which live as long as the kernel.

#include <stddef.h>
#include <stdint.h>

#include "sync/lock_site.h"

namespace sync {

class LockClassTable {
public:
    // The class number of the key (1 .. kMaxLockClasses - 1), registering
    // the class if new; 0 when the table is full.
    uint16_t find_or_add(const LockClassKey& key);
    // A registered class's name and site (its class_index is the class).
    const LockClassKey& key_of(uint16_t lock_class) const { return m_classes[lock_class]; }
    size_t class_count() const { return m_registered; }

private:
    // Classes 1 .. m_registered (0 is "no class"). All zero to start with,
    // so the kernel's table takes no room in its image (.bss).
    uint16_t m_registered = 0;
    LockClassKey m_classes[kMaxLockClasses] {};
};

} // namespace sync
