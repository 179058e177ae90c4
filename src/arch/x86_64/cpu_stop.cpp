#include "arch/cpu_stop.h"

#include "arch/cpu.h"
#include "arch/x86_64/local_apic.h"
#include "lib/atomic.h"

namespace arch {
namespace {

lib::Atomic<bool> g_stop_requested;
lib::Atomic<unsigned> g_stopped;

} // namespace

StoppedCpus stop_other_cpus(uint64_t timeout_cycles)
{
    unsigned online = cpu_count_online();
    StoppedCpus result { 0, online > 0 ? online - 1 : 0 };
    if (result.others == 0 || local_apic_mode() == LocalApicMode::None)
        return result;
    g_stop_requested.store(true);
    send_ipi(IpiDestination::AllExcludingSelf, 0, IpiDelivery::Nmi, 0);
    uint64_t deadline = read_timestamp_counter() + timeout_cycles;
    while (g_stopped.load(lib::MemoryOrder::Acquire) < result.others && read_timestamp_counter() < deadline)
        cpu_relax();
    result.stopped = g_stopped.load(lib::MemoryOrder::Acquire);
    return result;
}

void halt_if_stop_requested()
{
    if (!g_stop_requested.load(lib::MemoryOrder::Acquire))
        return;
    g_stopped.fetch_add(1, lib::MemoryOrder::Release);
    halt_forever();
}

} // namespace arch
