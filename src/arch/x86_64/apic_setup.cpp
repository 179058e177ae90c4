#include "arch/x86_64/apic_setup.h"

#include "acpi/madt.h"
#include "arch/x86_64/cpuid.h"
#include "arch/x86_64/io_apic.h"
#include "arch/x86_64/local_apic.h"
#include "arch/x86_64/vectors.h"
#include "drivers/interrupt_controller.h"
#include "drivers/pic8259.h"
#include "kernel/acpi_setup.h"
#include "kernel/log.h"

namespace arch {
namespace {

using kernel::log;
using kernel::LogTag;

constexpr uint8_t kTimerIrq = 0;

void log_fallback(const char* reason)
{
    log(LogTag::Apic, "{}: 8259 PICs and PIT, one CPU", reason);
}

const char* trigger_name(bool level)
{
    return level ? "level" : "edge";
}

const char* polarity_name(bool active_low)
{
    return active_low ? "low" : "high";
}

// ISA IRQs are edge-triggered and active high unless an override says
// otherwise (ACPI 6.4 5.2.12.5: "conforms to the bus").
drivers::IsaRoute isa_route(const acpi::Madt& madt, uint8_t irq)
{
    acpi::MadtInterruptOverride route = madt.route_isa_irq(irq);
    return { route.gsi, route.polarity == acpi::Polarity::ActiveLow,
        route.trigger == acpi::TriggerMode::Level };
}

} // namespace

bool start_apic(const kernel::BootOptions& options)
{
    CpuFeatures features = detect_cpu_features();
    if (!features.apic) {
        log_fallback("no local APIC (CPUID)");
        return false;
    }
    if (options.no_apic) {
        log_fallback("boot word noapic");
        return false;
    }
    const acpi::Madt* madt = kernel::platform_madt();
    if (madt == nullptr || madt->io_apic_count == 0) {
        log_fallback(madt == nullptr ? "no MADT" : "no I/O APIC in the MADT");
        return false;
    }
    LocalApicMode mode = init_boot_local_apic(madt->local_apic_address, features.x2apic);
    const IoApic* first = nullptr;
    uint32_t entry_counts[acpi::Madt::kMaxIoApics] = {};
    for (size_t i = 0; i < madt->io_apic_count; ++i) {
        const acpi::MadtIoApic& entry = madt->io_apics[i];
        const IoApic* io_apic = add_io_apic(entry.id, entry.address, entry.gsi_base);
        if (io_apic == nullptr) {
            log(LogTag::Apic, "warning: I/O APIC {} at {:#x} could not be mapped; left out", entry.id,
                entry.address);
            continue;
        }
        entry_counts[i] = io_apic->pin_count;
        if (first == nullptr)
            first = io_apic;
    }
    if (first == nullptr) {
        log_fallback("no usable I/O APIC");
        return false;
    }
    // Only now are the I/O APICs' sizes known: a MADT whose overrides or
    // GSI ranges do not fit them is refused before any IRQ is claimed.
    if (!kernel::check_madt_against_io_apics(entry_counts)) {
        log_fallback("MADT rejected against the I/O APICs");
        return false;
    }
    drivers::IsaRoute routes[drivers::kIsaIrqCount];
    for (uint8_t irq = 0; irq < drivers::kIsaIrqCount; ++irq)
        routes[irq] = isa_route(*madt, irq);
    uint32_t boot_cpu = local_apic_id();
    drivers::use_io_apic(routes, boot_cpu);
    // From here on the 8259s deliver nothing (all masked): their virtual
    // wire into LINT0 is cut too, so a stray PIC interrupt cannot arrive.
    cut_legacy_pic_wire();
    const drivers::IsaRoute& timer = routes[kTimerIrq];
    log(LogTag::Apic,
        "{} mode, local APIC ID {}; I/O APIC {} at {:#x} ({} pins, GSI {}-{}); ISA IRQ 0 -> GSI {} {}/{}, "
        "ISA "
        "IRQs at vectors {}-{}; 8259 PICs masked (IMR {:#06x})",
        mode == LocalApicMode::X2Apic ? "x2APIC" : "xAPIC", boot_cpu, first->id, first->physical,
        first->pin_count, first->gsi_base, first->gsi_base + first->pin_count - 1, timer.gsi,
        trigger_name(timer.level_triggered), polarity_name(timer.active_low), kIoApicIsaBaseVector,
        kIoApicIsaBaseVector + drivers::kIsaIrqCount - 1, drivers::pic_masks());
    return true;
}

} // namespace arch
