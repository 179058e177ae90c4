#include "kernel/ubsan_triggers.h"

#include <stddef.h>
#include <stdint.h>

#include "kernel/fault_kind.h"

namespace kernel {
namespace {

volatile int32_t g_int_max = 2147483647;
volatile int32_t g_one = 1;
volatile int32_t g_zero = 0;
volatile int32_t g_shift = 40;
volatile size_t g_index = 4;
alignas(8) uint8_t g_bytes[16];
volatile uintptr_t g_null = 0;
volatile uint8_t g_two = 2;
volatile int32_t g_sink;

} // namespace

[[gnu::noinline]] void ubsan_signed_overflow()
{
    g_sink = g_int_max + g_one;
}

[[gnu::noinline]] void ubsan_shift_out_of_bounds()
{
    g_sink = g_one << g_shift;
}

[[gnu::noinline]] void ubsan_misaligned_access()
{
    auto* misaligned = reinterpret_cast<volatile uint32_t*>(g_bytes + g_one);
    g_sink = static_cast<int32_t>(*misaligned);
}

[[gnu::noinline]] void ubsan_index_out_of_bounds()
{
    int32_t table[4] = { 1, 2, 3, 4 };
    g_sink = table[g_index];
}

[[gnu::noinline]] void ubsan_null_dereference()
{
    g_sink = *reinterpret_cast<volatile int32_t*>(g_null);
}

[[gnu::noinline]] void ubsan_unreachable()
{
    if (g_one == 1)
        __builtin_unreachable();
}

[[gnu::noinline]] void ubsan_invalid_bool()
{
    // A byte holding 2 read as a bool: only 0 and 1 are valid.
    uint8_t byte = g_two;
    bool value;
    __builtin_memcpy(&value, &byte, 1);
    g_sink = value ? 1 : 0;
}

[[gnu::noinline]] void ubsan_division_by_zero()
{
    g_sink = g_one / g_zero;
}

// UBSan: each a [PANIC] naming the kind of undefined behaviour at its file:line.
FAULT_KIND(ubsan_signed_overflow, 140, "ubsan-signed-overflow", "UBSan: signed integer overflow", EndsTheBoot,
    ubsan_signed_overflow);
FAULT_KIND(
    ubsan_shift, 150, "ubsan-shift", "UBSan: a shift out of bounds", EndsTheBoot, ubsan_shift_out_of_bounds);
FAULT_KIND(ubsan_misaligned, 160, "ubsan-misaligned", "UBSan: a misaligned load", EndsTheBoot,
    ubsan_misaligned_access);
FAULT_KIND(ubsan_out_of_bounds, 170, "ubsan-out-of-bounds", "UBSan: an array index out of bounds",
    EndsTheBoot, ubsan_index_out_of_bounds);
FAULT_KIND(ubsan_null, 180, "ubsan-null", "UBSan: a load through a null pointer", EndsTheBoot,
    ubsan_null_dereference);
FAULT_KIND(ubsan_unreachable, 190, "ubsan-unreachable", "UBSan: __builtin_unreachable reached", EndsTheBoot,
    ubsan_unreachable);
FAULT_KIND(ubsan_invalid_bool, 200, "ubsan-invalid-bool", "UBSan: a bool that is neither 0 nor 1",
    EndsTheBoot, ubsan_invalid_bool);
FAULT_KIND(ubsan_division_by_zero, 210, "ubsan-division-by-zero", "UBSan: an integer division by zero",
    EndsTheBoot, ubsan_division_by_zero);

} // namespace kernel
