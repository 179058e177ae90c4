#include "kernel/apic_setup.h"

#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/local_apic.h"
#include "kernel/log.h"

namespace kernel {

bool start_apic(const BootOptions& options)
{
    arch::CpuFeatures features = arch::detect_cpu_features();
    if (!features.apic) {
        log(LogTag::Apic, "no local APIC (CPUID): 8259 PICs and PIT, one CPU");
        return false;
    }
    if (options.no_apic) {
        log(LogTag::Apic, "boot word noapic: 8259 PICs and PIT, one CPU");
        return false;
    }
    arch::LocalApicMode mode = arch::init_boot_local_apic(0, features.x2apic);
    log(LogTag::Apic, "{} mode, local APIC ID {}", mode == arch::LocalApicMode::X2Apic ? "x2APIC" : "xAPIC",
        arch::local_apic_id());
    return true;
}

} // namespace kernel
