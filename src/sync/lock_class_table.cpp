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
    for (uint16_t i = 1; i < m_count; ++i) {
        if (same_class(m_classes[i], key))
            return i;
    }
    if (m_count == kMaxLockClasses)
        return 0;
    m_classes[m_count] = LockClassKey { key.name, key.declared, m_count };
    return m_count++;
}

} // namespace sync
