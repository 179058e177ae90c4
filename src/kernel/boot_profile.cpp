#include "kernel/boot_profile.h"

#include "arch/cpu.h"
#include "kernel/log.h"
#include "mm/direct_map.h"

// Written by asm/boot32.asm at boot_entry (physical address: the
// trampoline's sections run at their load address).
extern "C" const uint64_t boot_entry_tsc;

namespace kernel {
namespace {

struct Stamp {
    const char* name;
    uint64_t tsc;
};

constexpr size_t kMaxPhases = 16;
Stamp g_stamps[kMaxPhases];
size_t g_count = 0;
uint64_t g_cycles_per_ms = 0;
uint32_t g_calibration_ms = 0;
const char* g_calibrated_against = "nothing";

uint64_t entry_tsc()
{
    return *mm::physical_to_virtual<const uint64_t>(reinterpret_cast<uint64_t>(&boot_entry_tsc));
}

uint64_t microseconds(uint64_t cycles)
{
    return g_cycles_per_ms == 0 ? 0 : cycles * 1000 / g_cycles_per_ms;
}

} // namespace

uint64_t tsc_cycles_per_ms()
{
    return g_cycles_per_ms;
}

void end_boot_phase(const char* name)
{
    if (g_count < kMaxPhases)
        g_stamps[g_count++] = { name, arch::read_timestamp_counter() };
}

void set_boot_clock(uint64_t tsc_khz, const char* against, uint32_t window_ms)
{
    g_cycles_per_ms = tsc_khz;
    g_calibrated_against = against;
    g_calibration_ms = window_ms;
}

void report_boot_profile()
{
    if (g_cycles_per_ms == 0) {
        log(LogTag::Boot, "boot profile: the TSC was not calibrated");
        return;
    }
    // "Here" is the end of the last phase, stamped right before this call:
    // the total is the phases' sum (each truncated to a microsecond, so
    // less than one each), and neither the printing of the lines below nor
    // a host stall meanwhile (tens of ms under TCG) lands in it.
    uint64_t now = g_count > 0 ? g_stamps[g_count - 1].tsc : arch::read_timestamp_counter();
    uint64_t previous = entry_tsc();
    for (size_t i = 0; i < g_count; ++i) {
        log(LogTag::Boot, "phase {}: {} us", g_stamps[i].name, microseconds(g_stamps[i].tsc - previous));
        previous = g_stamps[i].tsc;
    }
    log(LogTag::Boot, "boot profile: {} us from boot_entry to here, TSC {} MHz (against {} over {} ms)",
        microseconds(now - entry_tsc()), g_cycles_per_ms / 1000, g_calibrated_against, g_calibration_ms);
}

void report_ready_tsc()
{
    log(LogTag::Boot, "TSC at boot_entry {}, at the ready line {}", entry_tsc(),
        arch::read_timestamp_counter());
}

} // namespace kernel
