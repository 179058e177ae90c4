// Kernel tests of the local APIC.

#include "arch/x86_64/local_apic.h"
#include "arch/x86_64/local_apic_registers.h"
#include "ktest/ktest.h"

namespace arch {

// An error the local APIC must notice is latched in its error status
// register, read the SDM's way (written first). QEMU 7.2's TCG APIC latches
// it but raises no error interrupt (its LVT error entry is never fired), so
// the interrupt's count is not asserted here; on hardware it would rise.
KTEST(apic, a_local_apic_error_is_latched_in_the_error_status)
{
    KASSERT_TRUE(local_apic_mode() != LocalApicMode::None);
    KEXPECT_EQ(local_apic_error_status(), 0u); // nothing latched before
    provoke_local_apic_error();
    ErrorStatus status(local_apic_error_status());
    if (local_apic_mode() == LocalApicMode::X2Apic)
        KEXPECT_TRUE(status.send_illegal_vector());
    else
        KEXPECT_TRUE(status.illegal_register_address());
}

} // namespace arch
