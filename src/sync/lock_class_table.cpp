#include "sync/lock_class_table.h"

namespace sync {
namespace {

// The same file may come as two copies of its name (one per translation
// unit), so names are compared by their text.
bool same_text(const char* a, const char* b)
{
    if (a == b)
        return true;
    if (a == nullptr || b == nullptr)
        return false;
    while (*a != 0 && *a == *b) {
        ++a;
        ++b;
    }
    return *a == *b;
}

bool same_class(const LockClassKey& a, const LockClassKey& b)
{
    return a.declared.line == b.declared.line && same_text(a.name, b.name)
        && same_text(a.declared.file, b.declared.file);
}

} // namespace

uint16_t LockClassTable::find_or_add(const LockClassKey& key)
{
    for (uint16_t number = 1; number <= m_registered; ++number) {
        if (same_class(m_classes[number], key))
            return number;
    }
    if (m_registered + 1u == kMaxLockClasses)
        return 0;
    uint16_t number = ++m_registered;
    m_classes[number] = LockClassKey { key.name, key.declared, number };
    return number;
}

} // namespace sync
