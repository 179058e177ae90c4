#pragma once

// The orders in which lock classes have been taken: an edge before -> after
// for each "after taken while before was held" seen, with both
// acquisitions of the first time. A new edge that closes a cycle is a
// possible deadlock. Fixed size, no heap (the heap takes locks). Pure
// (host-tested); the validator (sync/lock_validator.cpp) serialises it.

#include <stddef.h>
#include <stdint.h>

#include "sync/lock_site.h"

namespace sync {

struct LockOrder {
    uint16_t before = 0;
    uint16_t after = 0;
    Acquisition before_acquired; // the held lock's acquisition
    Acquisition after_acquired; // the one taken while it was held
};

class LockOrderGraph {
public:
    static constexpr size_t kMaxEdges = 256;
    // A path visits each class once at most.
    static constexpr size_t kMaxPath = kMaxLockClasses;

    struct Path {
        size_t length = 0; // edges
        const LockOrder* edges[kMaxPath] {};
    };

    enum class Added : uint8_t { Known, New, Full };

    // Records the order (nothing if before == after, or already known).
    Added add(const LockOrder& order);
    const LockOrder* find(uint16_t before, uint16_t after) const;
    // Fills path with the edges from `from` to `to` (shortest first); false
    // when `to` cannot be reached.
    bool find_path(uint16_t from, uint16_t to, Path& path) const;
    // Drops every edge to or from the class (tests clean up after
    // themselves).
    void forget(uint16_t lock_class);
    size_t edge_count() const { return m_edge_count; }

private:
    size_t m_edge_count = 0;
    LockOrder m_edges[kMaxEdges];
};

} // namespace sync
