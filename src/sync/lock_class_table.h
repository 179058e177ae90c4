#pragma once

// The lock classes seen so far and the validator's numbers for them: a
// class is a key's name and declaration site, whichever lock carries it
// (one per instance of a struct's member, say). Fixed size, no heap; pure
// (host-tested). The validator (sync/lock_validator.cpp) serialises it.

#include <stddef.h>
#include <stdint.h>

#include "sync/lock_site.h"

namespace sync {

class LockClassTable {
public:
    // The class number of the key (1 .. kMaxLockClasses - 1), registering
    // the class if new; 0 when the table is full.
    uint16_t find_or_add(const LockClassKey& key);
    // The first key seen of a registered class.
    const LockClassKey& key_of(uint16_t lock_class) const { return *m_keys[lock_class]; }
    size_t class_count() const { return m_count - 1u; }

private:
    uint16_t m_count = 1; // 0 is "no class"
    const LockClassKey* m_keys[kMaxLockClasses] {};
};

} // namespace sync
