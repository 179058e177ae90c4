#include "arch/cpu.h"
#include "arch/x86_64/cpu_protections.h"
#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/per_cpu.h"
#include "kernel/log.h"

namespace arch {
namespace {

const char* yes_no(bool value)
{
    return value ? "yes" : "no";
}

void log_protection(lib::StringView name, bool on, bool supported)
{
    kernel::log(kernel::LogTag::Cpu, "  {} {}", name,
        on ? "on" : (supported ? "OFF (failed to enable)" : "off (not supported)"));
}

} // namespace

void init_descriptor_tables()
{
    init_gdt();
    // Before the kernel's IDT: every exception it reports finds this CPU.
    init_boot_cpu();
    init_idt();
}

void log_cpu_identity()
{
    CpuFeatures features = detect_cpu_features();
    kernel::log(kernel::LogTag::Cpu, "vendor {}, brand \"{}\"", features.vendor, features.brand);
    kernel::log(kernel::LogTag::Cpu,
        "features: nx={} smep={} smap={} umip={} apic={} x2apic={} rdrand={} invariant_tsc={} 1g_pages={}",
        yes_no(features.nx), yes_no(features.smep), yes_no(features.smap), yes_no(features.umip),
        yes_no(features.apic), yes_no(features.x2apic), yes_no(features.rdrand),
        yes_no(features.invariant_tsc), yes_no(features.gigabyte_pages));
}

bool init_cpu()
{
    log_cpu_identity();
    CpuFeatures features = detect_cpu_features();

    CpuProtections on = enable_cpu_protections(features);
    kernel::log(kernel::LogTag::Cpu, "protections:");
    log_protection("NX", on.nx, features.nx);
    log_protection("WP", on.write_protect, true);
    log_protection("SMEP", on.smep, features.smep);
    log_protection("SMAP", on.smap, features.smap);
    log_protection("UMIP", on.umip, features.umip);
    return on.nx;
}

} // namespace arch
