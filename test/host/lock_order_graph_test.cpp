// The kernel's namespace sync and POSIX's sync() (unistd.h, through
// gtest) cannot share the global scope: POSIX's is renamed here.
#define sync posix_sync
#include <gtest/gtest.h>
#undef sync

#include "sync/lock_order_graph.h"

namespace {

sync::LockOrder order(uint16_t before, uint16_t after, uint32_t line = 0)
{
    sync::LockOrder edge;
    edge.before = before;
    edge.after = after;
    edge.after_acquired.site = { "test.cpp", line };
    return edge;
}

TEST(LockOrderGraph, AnOrderIsRecordedOnceWithItsFirstAcquisition)
{
    sync::LockOrderGraph graph;
    EXPECT_EQ(graph.add(order(1, 2, 10)), sync::LockOrderGraph::Added::New);
    EXPECT_EQ(graph.add(order(1, 2, 20)), sync::LockOrderGraph::Added::Known);
    ASSERT_NE(graph.find(1, 2), nullptr);
    EXPECT_EQ(graph.find(1, 2)->after_acquired.site.line, 10u);
    EXPECT_EQ(graph.find(2, 1), nullptr);
    EXPECT_EQ(graph.edge_count(), 1u);
}

TEST(LockOrderGraph, ASelfOrderIsNotAnEdge)
{
    sync::LockOrderGraph graph;
    EXPECT_EQ(graph.add(order(3, 3)), sync::LockOrderGraph::Added::Known);
    EXPECT_EQ(graph.edge_count(), 0u);
}

TEST(LockOrderGraph, TheReverseOrderIsReachable)
{
    sync::LockOrderGraph graph;
    graph.add(order(1, 2, 7));
    sync::LockOrderGraph::Path path;
    ASSERT_TRUE(graph.find_path(1, 2, path));
    ASSERT_EQ(path.length, 1u);
    EXPECT_EQ(path.edges[0]->after_acquired.site.line, 7u);
    EXPECT_FALSE(graph.find_path(2, 1, path));
}

TEST(LockOrderGraph, ALongCycleIsFoundWithEveryEdgeInOrder)
{
    sync::LockOrderGraph graph;
    graph.add(order(1, 2));
    graph.add(order(2, 3));
    graph.add(order(3, 4));
    graph.add(order(2, 5));
    sync::LockOrderGraph::Path path;
    ASSERT_TRUE(graph.find_path(1, 4, path));
    ASSERT_EQ(path.length, 3u);
    EXPECT_EQ(path.edges[0]->before, 1);
    EXPECT_EQ(path.edges[0]->after, 2);
    EXPECT_EQ(path.edges[1]->after, 3);
    EXPECT_EQ(path.edges[2]->after, 4);
    EXPECT_FALSE(graph.find_path(4, 1, path));
    EXPECT_FALSE(graph.find_path(5, 3, path));
}

TEST(LockOrderGraph, TheShortestPathIsReported)
{
    sync::LockOrderGraph graph;
    graph.add(order(1, 2));
    graph.add(order(2, 3));
    graph.add(order(3, 9));
    graph.add(order(1, 9));
    sync::LockOrderGraph::Path path;
    ASSERT_TRUE(graph.find_path(1, 9, path));
    EXPECT_EQ(path.length, 1u);
}

TEST(LockOrderGraph, ForgettingAClassDropsEveryEdgeThroughIt)
{
    sync::LockOrderGraph graph;
    graph.add(order(1, 2));
    graph.add(order(2, 3));
    graph.add(order(4, 5));
    graph.forget(2);
    sync::LockOrderGraph::Path path;
    EXPECT_FALSE(graph.find_path(1, 3, path));
    EXPECT_EQ(graph.edge_count(), 1u);
    EXPECT_NE(graph.find(4, 5), nullptr);
}

TEST(LockOrderGraph, AFullGraphSaysSoAndKeepsWhatItHas)
{
    sync::LockOrderGraph graph;
    size_t added = 0;
    for (uint16_t a = 1; a < sync::kMaxLockClasses && added < sync::LockOrderGraph::kMaxEdges; ++a) {
        for (uint16_t b = 1; b < sync::kMaxLockClasses && added < sync::LockOrderGraph::kMaxEdges; ++b) {
            if (a != b && graph.add(order(a, b)) == sync::LockOrderGraph::Added::New)
                ++added;
        }
    }
    EXPECT_EQ(added, sync::LockOrderGraph::kMaxEdges);
    EXPECT_EQ(graph.add(order(100, 101)), sync::LockOrderGraph::Added::Full);
    EXPECT_EQ(graph.add(order(1, 2)), sync::LockOrderGraph::Added::Known);
}

TEST(LockOrderGraph, ClassNumbersOutOfRangeReachNothing)
{
    sync::LockOrderGraph graph;
    sync::LockOrderGraph::Path path;
    EXPECT_FALSE(graph.find_path(sync::kMaxLockClasses, 1, path));
    EXPECT_FALSE(graph.find_path(1, 1, path));
}

} // namespace
