#include "sync/lock_order_graph.h"

namespace sync {

LockOrderGraph::Added LockOrderGraph::add(const LockOrder& order)
{
    if (order.before == order.after || find(order.before, order.after) != nullptr)
        return Added::Known;
    if (m_edge_count == kMaxEdges)
        return Added::Full;
    m_edges[m_edge_count++] = order;
    return Added::New;
}

const LockOrder* LockOrderGraph::find(uint16_t before, uint16_t after) const
{
    for (size_t i = 0; i < m_edge_count; ++i) {
        if (m_edges[i].before == before && m_edges[i].after == after)
            return &m_edges[i];
    }
    return nullptr;
}

bool LockOrderGraph::find_path(uint16_t from, uint16_t to, Path& path) const
{
    if (from >= kMaxLockClasses || to >= kMaxLockClasses)
        return false;
    // Breadth first, so the path reported is a shortest one; each class
    // remembers the edge it was first reached by.
    const LockOrder* reached_by[kMaxLockClasses] {};
    bool seen[kMaxLockClasses] {};
    uint16_t queue[kMaxLockClasses];
    size_t head = 0, tail = 0;
    queue[tail++] = from;
    seen[from] = true;
    while (head < tail && !seen[to]) {
        uint16_t at = queue[head++];
        for (size_t i = 0; i < m_edge_count; ++i) {
            const LockOrder& edge = m_edges[i];
            if (edge.before != at || edge.after >= kMaxLockClasses || seen[edge.after])
                continue;
            seen[edge.after] = true;
            reached_by[edge.after] = &edge;
            queue[tail++] = edge.after;
        }
    }
    if (!seen[to] || from == to)
        return false;
    size_t length = 0;
    for (uint16_t at = to; at != from; at = reached_by[at]->before)
        ++length;
    path.length = length;
    for (uint16_t at = to; at != from; at = reached_by[at]->before)
        path.edges[--length] = reached_by[at];
    return true;
}

void LockOrderGraph::forget(uint16_t lock_class)
{
    size_t kept = 0;
    for (size_t i = 0; i < m_edge_count; ++i) {
        if (m_edges[i].before != lock_class && m_edges[i].after != lock_class)
            m_edges[kept++] = m_edges[i];
    }
    m_edge_count = kept;
}

} // namespace sync
