#include "drivers/clock_measurement.h"

#include "arch/cpu.h"
#include "arch/interrupts.h"
#include "arch/x86_64/cpuid.h"
#include "drivers/acpi_pm_timer.h"
#include "drivers/clock_cross_check.h"
#include "drivers/pit.h"
#include "kernel/panic.h"
#include "sync/interrupt_guard.h"

namespace drivers {
namespace {

constexpr uint64_t kNoTickLimitCounts = kPmTimerHz; // one second
// Under QEMU's TCG every port read takes the emulator's global lock, which
// its timers need too: a loop that reads the PM timer without pause delays
// the PIT's interrupts until they merge, and ticks are lost to the
// measurement itself. So the loops below wait on memory (the tick count)
// or halt, and read the PM timer only once in this many spins.
constexpr uint32_t kSpinsPerPmRead = 4096;

struct Reading {
    uint64_t ticks;
    uint64_t tsc;
    uint64_t pm_counts;
};

// A port read can stall: under TCG it waits for the emulator's global
// lock, which a flood of COM1 input keeps busy for milliseconds. So the
// PM timer is read between two TSC reads, a few times, and the narrowest
// pair dates it (at its middle); a stalled read then costs no accuracy.
constexpr int kPmReadAttempts = 4;

// The three clocks read together, with no interrupt between them.
Reading read_clocks(PmStopwatch* stopwatch)
{
    sync::InterruptGuard guard;
    Reading reading { timer_ticks(), arch::read_timestamp_counter(), 0 };
    if (stopwatch == nullptr)
        return reading;
    uint64_t narrowest = UINT64_MAX;
    for (int attempt = 0; attempt < kPmReadAttempts; ++attempt) {
        uint64_t before = arch::read_timestamp_counter();
        uint64_t pm_counts = stopwatch->elapsed();
        uint64_t after = arch::read_timestamp_counter();
        if (after - before < narrowest) {
            narrowest = after - before;
            reading.tsc = before + (after - before) / 2;
            reading.pm_counts = pm_counts;
        }
    }
    return reading;
}

// Spins until the tick count changes: just after a tick's interrupt.
bool wait_for_tick_edge(PmStopwatch& stopwatch)
{
    uint64_t ticks = timer_ticks();
    uint64_t deadline = stopwatch.elapsed() + kNoTickLimitCounts;
    for (;;) {
        for (uint32_t spin = 0; spin < kSpinsPerPmRead; ++spin) {
            if (timer_ticks() != ticks)
                return true;
            arch::cpu_relax();
        }
        if (stopwatch.elapsed() > deadline)
            return false;
    }
}

// The first interrupt may be one the PIC held while interrupts were off,
// at no particular time; the one after it is on the beat.
bool wait_for_a_tick_on_the_beat(PmStopwatch& stopwatch)
{
    if (!wait_for_tick_edge(stopwatch))
        return false;
    return wait_for_tick_edge(stopwatch);
}

uint64_t ms_to_pm_counts(uint64_t ms)
{
    return pm_counts_for_at_least_us(ms * 1000);
}

// The tick, among those offered, that came least late against the beat.
class EarliestTick {
public:
    void offer(const Reading& reading, const Reading& start)
    {
        uint64_t index = reading.ticks - start.ticks;
        uint64_t pm = reading.pm_counts - start.pm_counts;
        // PM time minus the programmed time of tick `index`, in PM counts
        // times millihertz (exact integers, no division).
        int64_t lateness
            = static_cast<int64_t>(pm * timer_millihertz()) - static_cast<int64_t>(index * kPmTimerHz * 1000);
        if (!m_any || lateness < m_lateness) {
            m_any = true;
            m_lateness = lateness;
            m_reading = reading;
        }
    }
    bool any() const { return m_any; }
    const Reading& reading() const { return m_reading; }

private:
    bool m_any = false;
    int64_t m_lateness = 0;
    Reading m_reading {};
};

ClockSample measure_against_pit(uint32_t window_ms)
{
    for (int edge = 0; edge < 2; ++edge) {
        uint64_t ticks = timer_ticks();
        while (timer_ticks() == ticks)
            arch::cpu_relax();
    }
    Reading start = read_clocks(nullptr);
    sleep_ms(window_ms);
    Reading end = read_clocks(nullptr);
    uint64_t ticks = end.ticks - start.ticks;
    uint64_t cycles = end.tsc - start.tsc;
    return ClockSample { false, true, ticks, 0, cycles, cycles, 0 };
}

} // namespace

ClockSample measure_clocks(uint32_t window_ms, uint32_t interrupts_off_ms)
{
    if (!arch::interrupts_enabled())
        PANIC("measure_clocks with interrupts off: no tick would ever come");
    if (!pm_timer_present())
        return measure_against_pit(window_ms);

    PmStopwatch stopwatch;
    ClockSample sample {};
    sample.has_pm_timer = true;
    if (!wait_for_a_tick_on_the_beat(stopwatch))
        return sample;
    Reading start = read_clocks(&stopwatch);
    uint64_t min_window = kMinWindowTicks * kPmTimerHz * 1000 / timer_millihertz() + 1;
    uint64_t window = ms_to_pm_counts(window_ms) > min_window ? ms_to_pm_counts(window_ms) : min_window;

    if (interrupts_off_ms > 0) {
        sync::InterruptGuard ticks_are_lost_meanwhile;
        while (stopwatch.elapsed() - start.pm_counts < ms_to_pm_counts(interrupts_off_ms))
            arch::cpu_relax();
    }
    EarliestTick first_third;
    EarliestTick last_third;
    first_third.offer(start, start);
    Reading now = start;
    uint64_t last_ticks = start.ticks;
    // One reading a tick. The loop spins rather than halts: under TCG a
    // halted CPU wakes through the host's scheduler, late enough at 10 kHz
    // for ticks to merge. The window ends at the first tick past its
    // length, so the last third always holds one.
    while (now.pm_counts - start.pm_counts < window || !last_third.any()) {
        if (!wait_for_tick_edge(stopwatch))
            return sample; // ticks stopped
        now = read_clocks(&stopwatch);
        if (now.ticks == last_ticks)
            continue;
        last_ticks = now.ticks;
        uint64_t elapsed = now.pm_counts - start.pm_counts;
        if (elapsed < window / 3)
            first_third.offer(now, start);
        else if (elapsed >= window * 2 / 3)
            last_third.offer(now, start);
    }
    const Reading& from = first_third.reading();
    const Reading& to = last_third.reading();
    sample.tick_seen = true;
    sample.ticks = to.ticks - from.ticks;
    sample.tick_pm_counts = to.pm_counts - from.pm_counts;
    sample.tick_tsc_cycles = to.tsc - from.tsc;
    sample.tsc_cycles = now.tsc - start.tsc;
    sample.tsc_pm_counts = now.pm_counts - start.pm_counts;
    return sample;
}

uint64_t cpuid_tsc_khz()
{
    uint32_t max_leaf = arch::cpuid(0).eax;
    // Intel SDM Vol. 2A, CPUID leaf 15h: TSC = crystal Hz * EBX / EAX, when
    // all three are enumerated.
    if (max_leaf >= 0x15) {
        arch::CpuidResult leaf = arch::cpuid(0x15);
        if (leaf.eax != 0 && leaf.ebx != 0 && leaf.ecx != 0)
            return static_cast<uint64_t>(leaf.ecx) * leaf.ebx / leaf.eax / 1000;
    }
    // Leaf 16h EAX[15:0]: the processor base frequency in MHz, which is
    // the TSC's nominal rate where leaf 15h gives no crystal.
    if (max_leaf >= 0x16) {
        uint32_t base_mhz = arch::cpuid(0x16).eax & 0xFFFF;
        if (base_mhz != 0)
            return static_cast<uint64_t>(base_mhz) * 1000;
    }
    return 0;
}

} // namespace drivers
