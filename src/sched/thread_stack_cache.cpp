#include "sched/thread_stack_cache.h"

#include "arch/page_size.h"
#include "kernel/panic.h"
#include "lib/atomic.h"
#include "mm/physical_memory.h"
#include "sync/spinlock.h"

namespace sched {
namespace {

constexpr uint64_t kFramesPerStack = kThreadStackBytes / arch::kPageSize;

struct StackCache {
    ThreadStack stacks[kMaxCachedThreadStacks];
    size_t count = 0;

    bool holds(const ThreadStack& stack) const
    {
        for (size_t i = 0; i < count; ++i) {
            if (stacks[i].bottom == stack.bottom)
                return true;
        }
        return false;
    }
};
sync::Locked<StackCache> g_cache;

// Worked out on first use: the usable memory does not change after boot,
// and asking the frame allocator on every exit would take its lock.
lib::Atomic<size_t> g_capacity = 0;

size_t capacity_for_usable_frames(uint64_t usable_frames)
{
    uint64_t stacks = usable_frames / kUsableFramesPerCachedFrame / kFramesPerStack;
    if (stacks < 1)
        return 1;
    return stacks < kMaxCachedThreadStacks ? static_cast<size_t>(stacks) : kMaxCachedThreadStacks;
}

} // namespace

size_t thread_stack_cache_capacity()
{
    size_t capacity = g_capacity.load(lib::MemoryOrder::Relaxed);
    if (capacity == 0) {
        // Racing CPUs work out the same figure.
        capacity = capacity_for_usable_frames(mm::frame_statistics().usable);
        g_capacity.store(capacity, lib::MemoryOrder::Relaxed);
    }
    return capacity;
}

bool take_thread_stack(ThreadStack& stack)
{
    bool cached = g_cache.with([&](StackCache& cache) {
        if (cache.count == 0)
            return false;
        stack = cache.stacks[--cache.count];
        return true;
    });
    if (!cached && !allocate_thread_stack(stack))
        return false;
    // New frames are not zeroed either (mm::allocate_frame).
    __builtin_memset(reinterpret_cast<void*>(stack.bottom), 0, kThreadStackBytes);
    return true;
}

void give_back_thread_stack(const ThreadStack& stack)
{
    enum class Outcome { Cached, CacheFull, CachedAlready };
    size_t capacity = thread_stack_cache_capacity();
    Outcome outcome = g_cache.with([&](StackCache& cache) {
        // At most 64 entries to look through, and a stack cached twice
        // would be handed to two threads at once.
        if (cache.holds(stack))
            return Outcome::CachedAlready;
        if (cache.count >= capacity)
            return Outcome::CacheFull;
        cache.stacks[cache.count++] = stack;
        return Outcome::Cached;
    });
    // The panic outside the lock: its backtrace starts here, whatever the
    // compiler inlined of the lambda.
    if (outcome == Outcome::CachedAlready)
        PANIC("thread stacks: the stack at {:#x} given back twice (it is cached already)", stack.bottom);
    if (outcome == Outcome::CacheFull)
        free_thread_stack(stack);
}

uint64_t cached_thread_stack_frames()
{
    return g_cache.with([](StackCache& cache) { return cache.count * kFramesPerStack; });
}

} // namespace sched
