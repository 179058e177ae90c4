#include "arch/x86_64/cpu_protections.h"

#include "arch/x86_64/control_registers.h"

namespace arch {

CpuProtections enable_cpu_protections(const CpuFeatures& features)
{
    // EFER.NXE without NX support would #GP; the trampoline set it already
    // when supported, and this keeps it so.
    Efer efer = Efer::read();
    if (features.nx)
        efer.set_no_execute_enable(true);
    efer.write();

    Cr0::read().set_write_protect(true).write();

    Cr4 cr4 = Cr4::read();
    if (features.smep)
        cr4.set_smep(true);
    if (features.smap)
        cr4.set_smap(true);
    if (features.umip)
        cr4.set_umip(true);
    cr4.write();

    // Read back: report what the CPU holds, not what was asked for.
    Cr0 cr0_now = Cr0::read();
    Cr4 cr4_now = Cr4::read();
    Efer efer_now = Efer::read();
    return {
        efer_now.no_execute_enable(),
        cr0_now.write_protect(),
        cr4_now.smep(),
        cr4_now.smap(),
        cr4_now.umip(),
    };
}

} // namespace arch
