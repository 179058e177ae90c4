// The freestanding libgcov: the structures GCC 12 emits for -fprofile-arcs,
// the symbols its code calls, and the dump (kernel/coverage_runtime.h).
// Built without instrumentation: counting its own arcs while it writes the
// counters out would change them under its feet.
//
// The layouts are GCC's (gcc/gcov-io.h, libgcc/libgcov.h) for GCC 12 and
// 13: GCC 12 put a checksum after the stamp, and GCC 14 adds a ninth
// counter kind. The version word the compiler stores in each gcov_info is
// checked again by the harness against the .gcno files.

#include "kernel/coverage_runtime.h"

#include <stddef.h>
#include <stdint.h>

#include "arch/cpu.h"
#include "arch/cpu_stop.h"
#include "arch/interrupts.h"
#include "drivers/qemu_debug_console.h"
#include "kernel/boot_profile.h"
#include "lib/atomic.h"

// clang (which lints this file) says it is GCC 4; only GCC builds it.
#ifndef __clang__
static_assert(__GNUC__ == 12 || __GNUC__ == 13, "gcov_info's layout is GCC 12's and 13's: check libgcov.h");
#endif

namespace {

constexpr unsigned kCounterKinds
    = 8; // GCOV_COUNTERS: arcs, interval, pow2, topn, indirect_call, average, ior, time_profiler

struct GcovCounters {
    uint32_t count;
    int64_t* values;
};

struct GcovInfo;

struct GcovFunction {
    const GcovInfo* key; // the unit that owns this record: a COMDAT function appears in several
    uint32_t ident;
    uint32_t lineno_checksum;
    uint32_t cfg_checksum;
    GcovCounters counters[]; // one per kind whose merge function is set
};

using GcovMerge = void (*)(int64_t*, uint32_t);

struct GcovInfo {
    uint32_t version;
    GcovInfo* next;
    uint32_t stamp;
    uint32_t checksum;
    const char* filename;
    GcovMerge merge[kCounterKinds];
    uint32_t function_count;
    const GcovFunction* const* functions;
};

static_assert(offsetof(GcovInfo, filename) == 24);
static_assert(offsetof(GcovInfo, function_count) == 96);
static_assert(offsetof(GcovInfo, functions) == 104);
static_assert(sizeof(GcovInfo) == 112);
static_assert(offsetof(GcovFunction, counters) == 24);
static_assert(sizeof(GcovCounters) == 16);

// One per translation unit that has instrumented code (130 or so today).
constexpr size_t kMaxUnits = 1024;
constinit const GcovInfo* g_units[kMaxUnits] = {};
constinit size_t g_unit_count = 0;
constinit size_t g_units_dropped = 0;

constinit lib::Atomic<bool> g_dumping;

class DumpWriter {
public:
    void bytes(const void* data, size_t count)
    {
        drivers::debug_console_write(data, count);
        m_written += count;
    }
    void word(uint32_t value) { bytes(&value, sizeof value); }
    void text(const char* string)
    {
        uint32_t length = 0;
        while (string[length] != '\0')
            ++length;
        word(length);
        bytes(string, length);
    }
    uint64_t written() const { return m_written; }

private:
    uint64_t m_written = 0;
};

uint32_t merge_mask(const GcovInfo& unit)
{
    uint32_t mask = 0;
    for (unsigned kind = 0; kind < kCounterKinds; ++kind)
        if (unit.merge[kind] != nullptr)
            mask |= 1u << kind;
    return mask;
}

// The stream test/harness/coverage.py reads (all little-endian):
//   "RAYGCOV1" u32 units u32 units_dropped
//   per unit: u32 version u32 stamp u32 checksum u32 merge_mask
//             u32 name_length name u32 function_count
//     per function: u32 owned (key == unit); when owned: u32 ident
//                   u32 lineno_checksum u32 cfg_checksum, then for each
//                   kind in merge_mask: u32 count, count x i64
//   "RAYGEND1" u64 bytes from the start of "RAYGCOV1" to here
void write_units(DumpWriter& out)
{
    out.bytes("RAYGCOV1", 8);
    out.word(static_cast<uint32_t>(g_unit_count));
    out.word(static_cast<uint32_t>(g_units_dropped));
    for (size_t index = 0; index < g_unit_count; ++index) {
        const GcovInfo& unit = *g_units[index];
        uint32_t mask = merge_mask(unit);
        out.word(unit.version);
        out.word(unit.stamp);
        out.word(unit.checksum);
        out.word(mask);
        out.text(unit.filename);
        out.word(unit.function_count);
        for (uint32_t f = 0; f < unit.function_count; ++f) {
            const GcovFunction* function = unit.functions[f];
            bool owned = function != nullptr && function->key == &unit;
            out.word(owned ? 1 : 0);
            if (!owned)
                continue;
            out.word(function->ident);
            out.word(function->lineno_checksum);
            out.word(function->cfg_checksum);
            const GcovCounters* counters = function->counters;
            for (unsigned kind = 0; kind < kCounterKinds; ++kind) {
                if ((mask & (1u << kind)) == 0)
                    continue;
                out.word(counters->count);
                out.bytes(counters->values, counters->count * sizeof(int64_t));
                ++counters;
            }
        }
    }
    uint64_t total = out.written();
    out.bytes("RAYGEND1", 8);
    total += 8 + sizeof total;
    out.bytes(&total, sizeof total);
}

} // namespace

extern "C" {

// From each unit's constructor (.init_array.00100, which runs first), on the
// boot CPU before the other CPUs start: no lock.
void __gcov_init(GcovInfo* unit)
{
    if (unit == nullptr || unit->version == 0)
        return;
    if (g_unit_count == kMaxUnits) {
        ++g_units_dropped; // the harness refuses a dump that dropped any
        return;
    }
    g_units[g_unit_count++] = unit;
}

// Named by each unit's destructor, which the linker script discards.
void __gcov_exit() { }

// Only its address is taken (merge[0]: the arc counters add up); the
// harness does the adding.
void __gcov_merge_add(int64_t*, uint32_t) { }
}

namespace kernel {

void dump_coverage()
{
    arch::disable_interrupts();
    if (g_dumping.exchange(true)) // another CPU is writing them: it ends QEMU
        arch::halt_forever();
    // Counters still moving on another CPU would break gcov's arc
    // arithmetic (a block's count is its arcs' sum); a CPU that does not
    // stop within 100 ms leaves a dump that may be off by its last steps.
    uint64_t per_ms = tsc_cycles_per_ms();
    arch::stop_other_cpus((per_ms != 0 ? per_ms : 3'000'000) * 100);
    DumpWriter out;
    write_units(out);
}

} // namespace kernel
