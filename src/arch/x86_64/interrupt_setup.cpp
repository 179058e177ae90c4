// The x86_64 PC's choice of interrupt controllers and tick: the local and
// I/O APICs with the local APIC timer when it can be calibrated, else the
// PIT as the tick; the 8259 PICs and the PIT when there is no APIC to use.

#include "arch/interrupt_setup.h"

#include <stdint.h>

#include "arch/x86_64/apic_setup.h"
#include "arch/x86_64/apic_timer_setup.h"
#include "arch/x86_64/vectors.h"
#include "drivers/pic8259.h"
#include "drivers/pit.h"
#include "kernel/boot_options.h"
#include "kernel/log.h"

namespace arch {

using kernel::log;
using kernel::LogTag;

void start_interrupt_controllers_and_tick(const kernel::BootOptions& options)
{
    drivers::init_pic();
    bool apic = start_apic(options);
    uint32_t requested_hz = options.timer_hz;
    // On the APIC path the boot CPU's local APIC timer is the tick; the
    // PIT is the tick on the 8259 path, or where the APIC timer has no
    // clock to be calibrated against.
    if (!apic || !start_apic_timer(requested_hz)) {
        uint32_t hz = drivers::init_pit(requested_hz);
        if (apic)
            log(LogTag::Timer,
                "PIT channel 0 at {} Hz (asked for {}), ISA IRQ 0 through the I/O APIC at vector {}", hz,
                requested_hz, static_cast<unsigned>(kIoApicIsaBaseVector));
        else
            log(LogTag::Timer, "PIT channel 0 at {} Hz (asked for {}), 8259 PICs at vectors {}-{}", hz,
                requested_hz, drivers::pic_first_vector(),
                drivers::pic_first_vector() + drivers::kIrqCount - 1);
    }
}

} // namespace arch
