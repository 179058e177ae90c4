// The kernel heap's allocator (compiled natively, no lock: the kernel wraps
// it in a spinlock) against the C library's malloc on the same allocation
// traces. Built twice: heap_benchmark against glibc, heap_benchmark_jemalloc
// linked with jemalloc (its malloc replaces glibc's). Each benchmark replays
// one trace; the figures are the time per operation and, as a counter, the
// bytes the allocator holds per byte in use once the trace's blocks are all
// live (fragmentation). ci/benchmark.py tabulates both builds.

#include <benchmark/benchmark.h>
#include <malloc.h>
#ifdef RAYOS_BENCH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <vector>

#include "host_heap_backing.h"
#include "mm/heap_allocator.h"

namespace {

// One step of a trace: allocate `size` bytes into slot, or free the slot.
struct Step {
    bool allocate;
    uint32_t slot;
    uint32_t size;
    uint32_t alignment;
};

struct Trace {
    std::vector<Step> steps;
    size_t slots = 0;
};

// Fill `live` slots, then free them in a shuffled order: a burst.
Trace burst(size_t live, const std::function<uint32_t(std::mt19937&)>& size_of, uint32_t alignment = 16)
{
    std::mt19937 random(42);
    Trace trace;
    trace.slots = live;
    for (size_t i = 0; i < live; ++i)
        trace.steps.push_back({ true, static_cast<uint32_t>(i), size_of(random), alignment });
    std::vector<uint32_t> order(live);
    for (size_t i = 0; i < live; ++i)
        order[i] = static_cast<uint32_t>(i);
    std::shuffle(order.begin(), order.end(), random);
    for (uint32_t slot : order)
        trace.steps.push_back({ false, slot, 0, 0 });
    return trace;
}

// Keep `live` blocks, then replace a random one `replacements` times: the
// long-lived, fragmenting pattern of a kernel that runs for a while.
Trace churn(size_t live, size_t replacements)
{
    std::mt19937 random(7);
    std::uniform_int_distribution<uint32_t> sizes(16, 4096);
    Trace trace;
    trace.slots = live;
    for (size_t i = 0; i < live; ++i)
        trace.steps.push_back({ true, static_cast<uint32_t>(i), sizes(random), 16 });
    for (size_t i = 0; i < replacements; ++i) {
        auto slot = static_cast<uint32_t>(random() % live);
        trace.steps.push_back({ false, slot, 0, 0 });
        trace.steps.push_back({ true, slot, sizes(random), 16 });
    }
    for (size_t i = 0; i < live; ++i)
        trace.steps.push_back({ false, static_cast<uint32_t>(i), 0, 0 });
    return trace;
}

struct SystemMalloc {
    // What the allocator holds from the system now.
    static size_t bytes_held()
    {
#ifdef RAYOS_BENCH_JEMALLOC
        uint64_t epoch = 1;
        size_t size = sizeof(epoch);
        mallctl("epoch", &epoch, &size, &epoch, size);
        size_t active = 0;
        size = sizeof(active);
        mallctl("stats.active", &active, &size, nullptr, 0);
        return active;
#else
        struct mallinfo2 info = mallinfo2();
        return info.arena + info.hblkhd;
#endif
    }
    size_t held() const
    {
        return bytes_held();
    }

    void* allocate(size_t size, size_t alignment)
    {
        if (alignment <= 16)
            return std::malloc(size);
        void* block = nullptr;
        return posix_memalign(&block, alignment, size) == 0 ? block : nullptr;
    }
    void free(void* block)
    {
        std::free(block);
    }
};

struct KernelHeap {
    // 1 GiB reserved; see HostHeapBacking for why protection is off here.
    HostHeapBacking backing { size_t(1) << 18, SIZE_MAX, HostHeapBacking::Protection::Off };
    mm::HeapAllocator heap;
    KernelHeap()
    {
        if (!heap.init(backing.layout(512), backing).has_value())
            std::abort();
    }
    void* allocate(size_t size, size_t alignment)
    {
        auto block = heap.allocate(size, alignment);
        return block.has_value() ? block.value() : nullptr;
    }
    void free(void* block)
    {
        if (!heap.free(block).has_value())
            std::abort();
    }
    size_t held() const
    {
        return heap.statistics().bytes_held + heap.statistics().metadata_pages * mm::kHeapPageSize;
    }
};

template <typename Allocator>
void replay(benchmark::State& state, const Trace& trace)
{
    Allocator allocator;
    std::vector<void*> slots(trace.slots);
    // The trace is at its fullest once every slot has been filled once.
    size_t in_use = 0, fullest_step = trace.slots - 1;
    double held_per_byte = 0;
    for (auto _ : state) {
        for (size_t index = 0; index < trace.steps.size(); ++index) {
            const Step& step = trace.steps[index];
            if (step.allocate) {
                void* block = allocator.allocate(step.size, step.alignment);
                if (block == nullptr)
                    std::abort();
                // Touch it, as a caller would: the first cache line is written.
                *static_cast<volatile char*>(block) = 1;
                slots[step.slot] = block;
            } else {
                allocator.free(slots[step.slot]);
            }
            if (index == fullest_step && held_per_byte == 0) {
                state.PauseTiming();
                for (size_t i = 0; i <= fullest_step; ++i)
                    in_use += trace.steps[i].size;
                held_per_byte = static_cast<double>(allocator.held()) / static_cast<double>(in_use);
                state.ResumeTiming();
            }
        }
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * trace.steps.size()));
    state.counters["held_per_byte"] = held_per_byte;
}

const Trace& fixed_trace(uint32_t size)
{
    static std::map<uint32_t, Trace> traces;
    auto found = traces.find(size);
    if (found == traces.end())
        found = traces.emplace(size, burst(10000, [size](std::mt19937&) { return size; })).first;
    return found->second;
}

const Trace& random_trace()
{
    static Trace trace = burst(10000,
        [](std::mt19937& random) { return std::uniform_int_distribution<uint32_t>(16, 4096)(random); });
    return trace;
}

const Trace& churn_trace()
{
    static Trace trace = churn(5000, 50000);
    return trace;
}

const Trace& aligned_trace()
{
    static Trace trace = burst(
        10000, [](std::mt19937& random) { return 16 + random() % 512; }, 256);
    return trace;
}

template <typename Allocator>
void fixed(benchmark::State& state)
{
    replay<Allocator>(state, fixed_trace(static_cast<uint32_t>(state.range(0))));
}

template <typename Allocator>
void random_sizes(benchmark::State& state)
{
    replay<Allocator>(state, random_trace());
}

template <typename Allocator>
void churn_live(benchmark::State& state)
{
    replay<Allocator>(state, churn_trace());
}

template <typename Allocator>
void aligned_256(benchmark::State& state)
{
    replay<Allocator>(state, aligned_trace());
}

} // namespace

BENCHMARK(fixed<KernelHeap>)->Name("fixed/rayos")->RangeMultiplier(4)->Range(16, 4096);
BENCHMARK(fixed<SystemMalloc>)->Name("fixed/malloc")->RangeMultiplier(4)->Range(16, 4096);
BENCHMARK(random_sizes<KernelHeap>)->Name("random_16_4096/rayos");
BENCHMARK(random_sizes<SystemMalloc>)->Name("random_16_4096/malloc");
BENCHMARK(churn_live<KernelHeap>)->Name("churn_5000_live/rayos");
BENCHMARK(churn_live<SystemMalloc>)->Name("churn_5000_live/malloc");
BENCHMARK(aligned_256<KernelHeap>)->Name("aligned_256/rayos");
BENCHMARK(aligned_256<SystemMalloc>)->Name("aligned_256/malloc");

BENCHMARK_MAIN();
