#pragma once

// What the generic cross-CPU code (kernel/cross_cpu_call.h, the TLB
// shootdown) asks of the architecture: waking another CPU by index.
// x86_64: src/arch/x86_64/cross_cpu.cpp, with fixed IPIs from the local APIC.

namespace arch {

// Boot CPU, before the other CPUs start: the handlers of the IPI vectors.
void init_cross_cpu_interrupts();

// Sends CPU index (online, not the caller) an interrupt whose handler does
// nothing but acknowledge it: enough to end its `hlt`.
void wake_cpu(unsigned index);

} // namespace arch
