#include "kernel/smp.h"

#include <stdint.h>

#include "acpi/madt.h"
#include "arch/ap_startup.h"
#include "arch/cpu.h"
#include "arch/cross_cpu.h"
#include "arch/page_size.h"
#include "drivers/interrupt_controller.h"
#include "kernel/acpi_setup.h"
#include "kernel/boot_profile.h"
#include "kernel/log.h"
#include "lib/format.h"

namespace kernel {
namespace {

bool trampoline_page_is_usable_ram(const boot::BootInfo& info)
{
    for (const boot::MemoryRegion& region : info.usable_regions()) {
        if (region.base <= arch::kApTrampolinePhysical
            && arch::kApTrampolinePhysical + arch::kPageSize <= region.base + region.length)
            return true;
    }
    return false;
}

void log_boot_cpu_only(const char* why)
{
    log(LogTag::Smp, "1 of 1 CPUs online (the boot CPU only: {})", why);
}

} // namespace

void start_application_processors(const boot::BootInfo& info)
{
    const acpi::Madt* madt = platform_madt();
    if (madt == nullptr)
        return log_boot_cpu_only("no MADT");
    if (const char* why_not = arch::why_other_cpus_cannot_start())
        return log_boot_cpu_only(why_not);
    // The local APIC is on but the I/O APIC set-up fell back to the 8259s
    // (which deliver to the boot CPU only): that path is the one-CPU path.
    if (!drivers::io_apic_in_use())
        return log_boot_cpu_only("interrupts stay on the 8259 PICs");
    uint64_t cycles_per_ms = tsc_cycles_per_ms();
    if (cycles_per_ms == 0)
        return log_boot_cpu_only("the TSC's rate is not known, so the SDM's waits cannot be timed");

    arch::init_cross_cpu_interrupts();
    uint32_t boot_apic_id = arch::hardware_cpu_id();
    uint32_t online_ids[arch::kMaxCpus] = { boot_apic_id };
    unsigned online = 1;
    unsigned enabled = 0;
    uint64_t started = arch::read_timestamp_counter();
    // The APs to start: enabled in the MADT, not this CPU, within kMaxCpus.
    uint32_t ap_ids[arch::kMaxCpus];
    unsigned ap_count = 0;
    for (size_t i = 0; i < madt->processor_count; ++i) {
        const acpi::MadtProcessor& processor = madt->processors[i];
        if (!processor.enabled)
            continue;
        ++enabled;
        if (processor.apic_id == boot_apic_id)
            continue;
        if (const char* why_not = arch::why_cpu_cannot_be_started(processor.apic_id)) {
            log(LogTag::Smp, "warning: CPU with APIC ID {:#x} left out: {}", processor.apic_id, why_not);
            continue;
        }
        if (ap_count + 1 == arch::kMaxCpus) {
            log(LogTag::Smp, "warning: CPU with APIC ID {} left out: RayOS runs at most {} CPUs",
                processor.apic_id, arch::kMaxCpus);
            continue;
        }
        ap_ids[ap_count++] = processor.apic_id;
    }
    if (ap_count != 0 && !arch::install_ap_trampoline(trampoline_page_is_usable_ram(info))) {
        log(LogTag::Smp, "warning: no AP trampoline; the other CPUs are left out");
        ap_count = 0;
    }
    // INIT to every AP, then the SDM's 10 ms once for all of them; the
    // Startup IPIs follow one AP at a time (they share the trampoline).
    for (unsigned i = 0; i < ap_count; ++i)
        arch::send_init(ap_ids[i]);
    if (ap_count != 0)
        arch::wait_after_init(cycles_per_ms);
    for (unsigned i = 0; i < ap_count; ++i) {
        // A CPU left out here stays in wait-for-SIPI, where INIT put it.
        arch::PerCpu* cpu = arch::prepare_application_processor(online, ap_ids[i]);
        if (cpu == nullptr) {
            log(LogTag::Smp, "warning: CPU with APIC ID {} left out: no memory for its stacks and tables",
                ap_ids[i]);
            continue;
        }
        if (!arch::start_application_processor(*cpu, cycles_per_ms)) {
            log(LogTag::Smp, "warning: CPU with APIC ID {} did not answer INIT-SIPI-SIPI in {} ms; left out",
                ap_ids[i], arch::kApAnswerTimeoutMs);
            arch::release_application_processor(*cpu);
            continue;
        }
        online_ids[online++] = ap_ids[i];
    }
    if (ap_count != 0)
        arch::remove_ap_trampoline();
    uint64_t tenths_of_ms = (arch::read_timestamp_counter() - started) * 10 / cycles_per_ms;

    char ids[arch::kMaxCpus * 11];
    lib::BufferSink sink(ids, sizeof(ids));
    for (unsigned i = 0; i < online; ++i)
        lib::format_to(sink, i == 0 ? "{}" : " {}", online_ids[i]);
    log(LogTag::Smp, "{} of {} CPUs online (APIC IDs {}), bring-up {}.{} ms", online, enabled, sink.view(),
        tenths_of_ms / 10, tenths_of_ms % 10);
}

} // namespace kernel
