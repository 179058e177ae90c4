// The kernel heap's allocator (compiled natively with the kernel's code
// generation flags, no lock: the kernel wraps it in a spinlock) against the C
// library's malloc on the same allocation traces. Built twice:
// heap_benchmark against glibc, heap_benchmark_jemalloc linked with jemalloc
// (its malloc replaces glibc's). ci/benchmark.py runs every trace of every
// allocator in a process of its own and tabulates the results.
//
// Equal terms. Every process runs in one of two page regimes, named by
// --regime= and applied to all three allocators alike:
//   retain  nothing goes back to Linux: glibc's trim threshold at its
//           maximum, jemalloc's dirty and muzzy decay off (-1), RayOS's
//           host backing keeps pages resident when the heap unmaps them;
//   return  each allocator gives memory back by its own rule, at once, and
//           Linux really takes it: glibc trims its top above 128 KiB (its
//           default), jemalloc purges at once (decay 0; its default 10 s
//           decay would be "retain" within a run this short), RayOS's
//           backing releases what the heap unmaps (MADV_DONTNEED), so the
//           next use faults in fresh pages as glibc's does after a trim.
// The settings for glibc and jemalloc are environment variables read at
// start-up, so the benchmark sets them and starts itself again.
//
// Memory held is one process-level figure for all: anonymous memory resident
// (/proc/self/smaps_rollup, from the page tables), after the allocator's
// first use minus before it, measured in the first pass of the first trace
// the process runs. The trace's own storage comes from mmap, never from the
// allocator measured. Counters: held_peak (per byte in use when every slot
// is first full), held_churned (per byte in use at the end of churn, churn
// traces only), held_after_free_kib (all blocks freed), and pid and
// traces_before, by which ci/benchmark.py checks that each trace had a
// process to itself.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef RAYOS_BENCH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <string_view>
#include <vector>

#include "host_heap_backing.h"
#include "mm/heap_allocator.h"

namespace {

// ---- The two page regimes ---------------------------------------------------

struct Regime {
    const char* name;
    const char* glibc_tunables;
    const char* malloc_conf; // jemalloc's
    ssize_t jemalloc_decay_ms;
    HostHeapBacking::PageSource rayos_pages;
    const char* rayos_pages_name;
};

constexpr Regime kRegimes[] = {
    { "retain", "glibc.malloc.trim_threshold=18446744073709551615", "dirty_decay_ms:-1,muzzy_decay_ms:-1", -1,
        HostHeapBacking::PageSource::Kept, "kept resident when the heap unmaps them" },
    { "return", "glibc.malloc.trim_threshold=131072", "dirty_decay_ms:0,muzzy_decay_ms:0", 0,
        HostHeapBacking::PageSource::Released,
        "released to Linux (MADV_DONTNEED) when the heap unmaps them" },
};

const Regime* g_regime = nullptr;

// ---- The benchmark's own storage, never from the allocator measured --------

template <typename T>
struct OwnPages {
    using value_type = T;
    OwnPages() = default;
    template <typename U>
    explicit OwnPages(const OwnPages<U>& /*other*/)
    {
    }
    T* allocate(size_t count)
    {
        void* pages
            = mmap(nullptr, count * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pages == MAP_FAILED) {
            std::perror("heap_benchmark: mmap");
            std::abort();
        }
        return static_cast<T*>(pages);
    }
    void deallocate(T* pages, size_t count) { munmap(pages, count * sizeof(T)); }
    bool operator==(const OwnPages& /*other*/) const { return true; }
};

template <typename T>
using OwnVector = std::vector<T, OwnPages<T>>;

// Anonymous memory resident in this process, in bytes: Linux counts it by
// walking the page tables, for glibc, jemalloc and RayOS's backing alike.
// Read with system calls only, so that measuring allocates nothing.
size_t resident_anonymous_bytes()
{
    char text[8192];
    int file = open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
    ssize_t length = file < 0 ? -1 : read(file, text, sizeof(text) - 1);
    if (file >= 0)
        close(file);
    if (length <= 0) {
        std::perror("heap_benchmark: /proc/self/smaps_rollup");
        std::exit(2);
    }
    text[length] = '\0';
    const char* line = std::strstr(text, "\nAnonymous:");
    if (line == nullptr) {
        std::fprintf(stderr, "heap_benchmark: no Anonymous line in /proc/self/smaps_rollup\n");
        std::exit(2);
    }
    return std::strtoull(line + std::strlen("\nAnonymous:"), nullptr, 10) * 1024;
}

// ---- Traces ------------------------------------------------------------------

// One step of a trace: allocate `size` bytes into slot, or free the slot.
struct Step {
    bool allocate;
    uint32_t slot;
    uint32_t size;
    uint32_t alignment;
};

inline constexpr size_t kNoStep = SIZE_MAX;

struct Trace {
    OwnVector<Step> steps;
    size_t slots = 0;
    size_t fullest_step = kNoStep; // every slot filled once
    size_t churned_step = kNoStep; // the last replacement, before the final frees
    uint64_t fullest_in_use = 0; // requested bytes live after those steps
    uint64_t churned_in_use = 0;

    void mark_fullest() { mark(fullest_step, fullest_in_use); }
    void mark_churned() { mark(churned_step, churned_in_use); }

private:
    void mark(size_t& step, uint64_t& in_use)
    {
        step = steps.size() - 1;
        OwnVector<uint32_t> live(slots);
        for (const Step& each : steps)
            live[each.slot] = each.allocate ? each.size : 0;
        in_use = 0;
        for (uint32_t size : live)
            in_use += size;
    }
};

// Fill `live` slots, then free them in a shuffled order: a burst.
Trace burst(size_t live, const std::function<uint32_t(std::mt19937&)>& size_of, uint32_t alignment = 16)
{
    std::mt19937 random(42);
    Trace trace;
    trace.slots = live;
    for (size_t i = 0; i < live; ++i)
        trace.steps.push_back({ true, static_cast<uint32_t>(i), size_of(random), alignment });
    trace.mark_fullest();
    OwnVector<uint32_t> order(live);
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
    trace.mark_fullest();
    for (size_t i = 0; i < replacements; ++i) {
        auto slot = static_cast<uint32_t>(random() % live);
        trace.steps.push_back({ false, slot, 0, 0 });
        trace.steps.push_back({ true, slot, sizes(random), 16 });
    }
    trace.mark_churned();
    for (size_t i = 0; i < live; ++i)
        trace.steps.push_back({ false, static_cast<uint32_t>(i), 0, 0 });
    return trace;
}

// ---- The allocators ----------------------------------------------------------

struct SystemMalloc {
    static constexpr const char* kName = "malloc";

    void* allocate(size_t size, size_t alignment)
    {
        if (alignment <= 16)
            return std::malloc(size);
        void* block = nullptr;
        return posix_memalign(&block, alignment, size) == 0 ? block : nullptr;
    }
    void free(void* block) { std::free(block); }
};

struct KernelHeap {
    static constexpr const char* kName = "rayos";

    // 1 GiB reserved, pages as the regime says.
    HostHeapBacking backing { size_t(1) << 18, SIZE_MAX, g_regime->rayos_pages };
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
};

// ---- One process, one trace --------------------------------------------------

// The (allocator, trace) runs this process has started, in order; Google
// Benchmark calls a benchmark several times, and only the first run in a
// process starts from memory no other run has touched.
struct Run {
    const char* allocator;
    const Trace* trace;
};
Run g_runs[64];
size_t g_run_count = 0;

// How many other runs this process made before this one.
size_t runs_before(const char* allocator, const Trace& trace)
{
    for (size_t i = 0; i < g_run_count; ++i) {
        if (g_runs[i].allocator == allocator && g_runs[i].trace == &trace)
            return i;
    }
    if (g_run_count == std::size(g_runs))
        std::abort();
    g_runs[g_run_count] = { allocator, &trace };
    return g_run_count++;
}

// Figures of the process's first run, taken in its first pass.
struct HeldFigures {
    size_t baseline = 0;
    double peak = 0;
    double churned = 0;
    double after_free_kib = 0;
    bool measured = false;
};
HeldFigures g_held;

template <typename Allocator>
void replay(benchmark::State& state, const Trace& trace)
{
    size_t before = runs_before(Allocator::kName, trace);
    OwnVector<void*> slots(trace.slots);
    // Only the first pass of the first run measures; the others never stop.
    HeldFigures& held = g_held;
    bool measuring = before == 0 && !held.measured;
    if (measuring)
        held.baseline = resident_anonymous_bytes();
    auto held_bytes = [&] {
        return static_cast<double>(resident_anonymous_bytes()) - static_cast<double>(held.baseline);
    };

    Allocator allocator;
    size_t last_step = trace.steps.size() - 1;
    size_t next_measure = measuring ? trace.fullest_step : kNoStep;
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
            if (index == next_measure) {
                state.PauseTiming();
                if (index == trace.fullest_step) {
                    held.peak = held_bytes() / static_cast<double>(trace.fullest_in_use);
                    next_measure = trace.churned_step != kNoStep ? trace.churned_step : last_step;
                } else if (index == trace.churned_step) {
                    held.churned = held_bytes() / static_cast<double>(trace.churned_in_use);
                    next_measure = last_step;
                } else {
                    held.after_free_kib = held_bytes() / 1024;
                    next_measure = kNoStep;
                    held.measured = true;
                }
                state.ResumeTiming();
            }
        }
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * trace.steps.size()));
    state.counters["pid"] = static_cast<double>(getpid());
    state.counters["traces_before"] = static_cast<double>(before);
    if (before == 0 && held.measured) {
        state.counters["held_peak"] = held.peak;
        if (trace.churned_step != kNoStep)
            state.counters["held_churned"] = held.churned;
        state.counters["held_after_free_kib"] = held.after_free_kib;
    }
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

// ---- Start-up: the regime's settings in force, or start again with them -----

bool environment_is(const char* name, const char* value)
{
    const char* now = std::getenv(name);
    return now != nullptr && std::string_view(now) == value;
}

int usage()
{
    std::fprintf(stderr,
        "usage: heap_benchmark --regime=retain|return [Google Benchmark flags]\n"
        "  retain: no allocator gives pages back to Linux; return: each gives them back by its own rule\n"
        "  (see the top of test/host/heap_benchmark.cpp)\n");
    return 2;
}

// glibc reads GLIBC_TUNABLES and jemalloc MALLOC_CONF once, before main:
// when they are not the regime's, set them and run this program again.
void apply_regime(char** argv)
{
    constexpr const char* kRestarted = "RAYOS_HEAP_BENCHMARK_RESTARTED";
    if (environment_is("GLIBC_TUNABLES", g_regime->glibc_tunables)
        && environment_is("MALLOC_CONF", g_regime->malloc_conf))
        return;
    if (std::getenv(kRestarted) != nullptr) {
        std::fprintf(stderr, "heap_benchmark: GLIBC_TUNABLES or MALLOC_CONF changed across a restart\n");
        std::exit(2);
    }
    setenv("GLIBC_TUNABLES", g_regime->glibc_tunables, 1);
    setenv("MALLOC_CONF", g_regime->malloc_conf, 1);
    setenv(kRestarted, "1", 1);
    execv("/proc/self/exe", argv);
    std::perror("heap_benchmark: execv /proc/self/exe");
    std::exit(2);
}

// What the C library's allocator says it runs with, checked against the
// regime where it can say (jemalloc can, glibc keeps its tunables private).
std::string malloc_settings()
{
#ifdef RAYOS_BENCH_JEMALLOC
    std::string settings = "jemalloc";
    for (const char* option : { "opt.dirty_decay_ms", "opt.muzzy_decay_ms" }) {
        ssize_t value = 0;
        size_t size = sizeof(value);
        if (mallctl(option, &value, &size, nullptr, 0) != 0 || value != g_regime->jemalloc_decay_ms) {
            std::fprintf(stderr, "heap_benchmark: jemalloc runs with %s %zd, not the regime's %zd\n", option,
                value, g_regime->jemalloc_decay_ms);
            std::exit(2);
        }
        settings += std::string(" ") + option + "=" + std::to_string(value);
    }
    return settings;
#else
    return std::string("glibc GLIBC_TUNABLES=") + std::getenv("GLIBC_TUNABLES");
#endif
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

int main(int argc, char** argv)
{
    constexpr std::string_view kRegimeFlag = "--regime=";
    auto is_regime_flag = [&](std::string_view argument) { return argument.starts_with(kRegimeFlag); };
    for (int i = 1; i < argc; ++i) {
        if (!is_regime_flag(argv[i]))
            continue;
        g_regime = nullptr;
        for (const Regime& regime : kRegimes) {
            if (std::string_view(argv[i]).substr(kRegimeFlag.size()) == regime.name)
                g_regime = &regime;
        }
        if (g_regime == nullptr)
            return usage();
    }
    if (g_regime == nullptr)
        return usage();
    apply_regime(argv); // with --regime= still in argv, for the restart
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        if (!is_regime_flag(argv[i]))
            argv[kept++] = argv[i];
    }
    argc = kept;
    argv[argc] = nullptr;

    benchmark::AddCustomContext("regime", g_regime->name);
    benchmark::AddCustomContext("malloc", malloc_settings());
    benchmark::AddCustomContext("MALLOC_CONF", g_regime->malloc_conf);
    benchmark::AddCustomContext("rayos_pages", g_regime->rayos_pages_name);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return usage();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
