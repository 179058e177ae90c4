// The x86_64 part of starting an AP: the trampoline page, the INIT-SIPI-SIPI
// sequence with its waits, and the AP's first C++ code.

#include "arch/ap_startup.h"

#include <stdint.h>

#include "arch/cpu.h"
#include "arch/interrupts.h"
#include "arch/page_size.h"
#include "arch/paging.h"
#include "arch/x86_64/ap_trampoline.h"
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/local_apic.h"
#include "arch/x86_64/per_cpu.h"
#include "kernel/log.h"
#include "lib/atomic.h"
#include "mm/direct_map.h"
#include "sched/scheduler.h"

extern "C" [[noreturn]] void ap_entry(arch::PerCpu* cpu);

namespace arch {
namespace {

using kernel::log;
using kernel::LogTag;

// Intel SDM Vol. 3A 9.4.4.1 (and MP specification B.4): 10 ms after INIT,
// 200 us after each Startup IPI.
constexpr uint64_t kInitWaitUs = 10'000;
constexpr uint64_t kStartupWaitUs = 200;
constexpr uint8_t kStartupVector = kApTrampolinePhysical >> 12;
static_assert(kApTrampolinePhysical % kPageSize == 0 && kApTrampolinePhysical < 0x100000,
    "a Startup IPI's vector names a 4 KiB page below 1 MiB");

// What the AP reports once it runs on its own GDT, TSS and local APIC:
// kAnswered | its APIC ID. Zero until then; one AP starts at a time.
constexpr uint64_t kAnswered = 1ull << 32;
lib::Atomic<uint64_t> g_answer;

volatile ApTrampolineParameters& trampoline_parameters()
{
    size_t offset = ap_trampoline_parameters - ap_trampoline_start;
    return *mm::physical_to_virtual<volatile ApTrampolineParameters>(kApTrampolinePhysical + offset);
}

// Busy-waits until the TSC passes deadline or done() holds; returns done().
template <typename Condition>
bool spin_until(uint64_t deadline, Condition done)
{
    while (!done()) {
        if (read_timestamp_counter() >= deadline)
            return done();
        cpu_relax();
    }
    return true;
}

uint64_t after_microseconds(uint64_t microseconds, uint64_t cycles_per_ms)
{
    return read_timestamp_counter() + microseconds * cycles_per_ms / 1000;
}

} // namespace

const char* why_other_cpus_cannot_start()
{
    return local_apic_mode() == LocalApicMode::None ? "no local APIC" : nullptr;
}

const char* why_cpu_cannot_be_started(uint32_t hardware_id)
{
    if (hardware_id < broadcast_apic_id())
        return nullptr;
    return local_apic_mode() == LocalApicMode::X2Apic ? "in x2APIC mode that ID is the broadcast ID"
                                                      : "in xAPIC mode that ID is the broadcast ID";
}

uint32_t hardware_cpu_id()
{
    return local_apic_id();
}

bool install_ap_trampoline(bool page_is_usable_ram)
{
    if (!page_is_usable_ram) {
        log(LogTag::Smp, "warning: the memory map does not call the AP trampoline page {:#x} usable RAM",
            kApTrampolinePhysical);
        return false;
    }
    size_t size = ap_trampoline_end - ap_trampoline_start;
    static_assert(sizeof(ApTrampolineParameters) <= kPageSize);
    if (size > kPageSize) {
        log(LogTag::Smp, "warning: the AP trampoline is {} bytes, more than its page", size);
        return false;
    }
    uint64_t root = Cr3::read().root_table();
    if (root + kPageSize > 0x1'0000'0000ull) {
        // The trampoline loads CR3 in 32-bit mode, before long mode.
        log(LogTag::Smp,
            "warning: the kernel's PML4 at {:#x} is above 4 GiB, out of the AP trampoline's reach", root);
        return false;
    }
    auto* page = mm::physical_to_virtual<uint8_t>(kApTrampolinePhysical);
    for (size_t i = 0; i < size; ++i)
        page[i] = ap_trampoline_start[i];
    if (!map_identity_code_page(kApTrampolinePhysical)) {
        log(LogTag::Smp, "warning: no frame for a page table to map the AP trampoline");
        return false;
    }
    volatile ApTrampolineParameters& parameters = trampoline_parameters();
    parameters.cr3 = Cr3::read().value();
    parameters.cr4 = Cr4::read().value();
    parameters.efer = Efer::read().value();
    parameters.entry = reinterpret_cast<uint64_t>(&ap_entry);
    return true;
}

void remove_ap_trampoline()
{
    unmap_kernel_page(kApTrampolinePhysical);
}

void send_init(uint32_t apic_id)
{
    send_ipi(IpiDestination::Target, apic_id, IpiDelivery::Init, 0);
}

void wait_after_init(uint64_t cycles_per_ms)
{
    spin_until(after_microseconds(kInitWaitUs, cycles_per_ms), [] { return false; });
}

bool start_application_processor(PerCpu& cpu, uint64_t cycles_per_ms)
{
    volatile ApTrampolineParameters& parameters = trampoline_parameters();
    parameters.stack_top = cpu.kernel_stack_top;
    parameters.per_cpu = reinterpret_cast<uint64_t>(&cpu);
    parameters.started = 0;
    g_answer.store(0);
    auto started = [&] { return parameters.started != 0; };
    auto answered = [] { return g_answer.load(lib::MemoryOrder::Acquire) != 0; };

    send_ipi(IpiDestination::Target, cpu.apic_id, IpiDelivery::Startup, kStartupVector);
    // A CPU that left wait-for-SIPI ignores a second Startup IPI; one that
    // missed the first gets it.
    if (!spin_until(after_microseconds(kStartupWaitUs, cycles_per_ms), started)) {
        send_ipi(IpiDestination::Target, cpu.apic_id, IpiDelivery::Startup, kStartupVector);
        spin_until(after_microseconds(kStartupWaitUs, cycles_per_ms), started);
    }
    if (!spin_until(after_microseconds(kApAnswerTimeoutMs * 1000ull, cycles_per_ms), answered)) {
        // Back to wait-for-SIPI: a CPU that wakes late must not run on
        // stacks the caller is about to free.
        send_init(cpu.apic_id);
        return false;
    }
    auto reported = static_cast<uint32_t>(g_answer.load());
    if (reported != cpu.apic_id) {
        log(LogTag::Smp, "warning: CPU started as APIC ID {} reports APIC ID {}", cpu.apic_id, reported);
        cpu.apic_id = reported;
    }
    mark_application_processor_online(cpu);
    return true;
}

} // namespace arch

// The AP's first C++ code, on its own kernel stack with the kernel's page
// tables, interrupts off and the trampoline's GDT still loaded.
extern "C" [[noreturn]] void ap_entry(arch::PerCpu* cpu)
{
    arch::enter_application_processor(*cpu);
    arch::init_ap_local_apic();
    arch::g_answer.store(arch::kAnswered | arch::local_apic_id(), lib::MemoryOrder::Release);
    sched::run_idle_thread_on_application_processor();
}
