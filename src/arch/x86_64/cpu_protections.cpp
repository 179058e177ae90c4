#include "arch/x86_64/cpu_protections.h"

#include "arch/x86_64/control_registers.h"

namespace arch {

CpuProtections enable_cpu_protections(const CpuFeatures& features)
{
    // EFER.NXE without NX support would #GP; the trampoline set it already
    // when supported, and this keeps it so.
    uint64_t efer = read_msr(Msr::Efer);
    if (features.nx)
        efer |= bit(Efer::NoExecuteEnable);
    write_msr(Msr::Efer, efer);

    write_cr0(read_cr0() | bit(Cr0::WriteProtect));

    uint64_t cr4 = read_cr4();
    if (features.smep)
        cr4 |= bit(Cr4::Smep);
    if (features.smap)
        cr4 |= bit(Cr4::Smap);
    if (features.umip)
        cr4 |= bit(Cr4::Umip);
    write_cr4(cr4);

    // Read back: report what the CPU holds, not what was asked for.
    uint64_t cr0_now = read_cr0();
    uint64_t cr4_now = read_cr4();
    uint64_t efer_now = read_msr(Msr::Efer);
    return {
        (efer_now & bit(Efer::NoExecuteEnable)) != 0,
        (cr0_now & bit(Cr0::WriteProtect)) != 0,
        (cr4_now & bit(Cr4::Smep)) != 0,
        (cr4_now & bit(Cr4::Smap)) != 0,
        (cr4_now & bit(Cr4::Umip)) != 0,
    };
}

} // namespace arch
