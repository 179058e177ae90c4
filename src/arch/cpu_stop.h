#pragma once

// Stopping the other CPUs before a fatal report, so that the report is the
// only output and nothing else changes the state it describes. x86_64: an
// NMI to all other CPUs (src/arch/x86_64/cpu_stop.cpp), which reaches them
// even with interrupts off; each halts for good in its NMI handler.

#include <stdint.h>

namespace arch {

struct StoppedCpus {
    unsigned stopped; // CPUs that reported they halted
    unsigned others; // online CPUs other than the caller
};

// Asks every other online CPU to halt and waits until they say they have,
// or until timeout_cycles of the TSC have passed. Once asked, a CPU never
// runs kernel code again.
StoppedCpus stop_other_cpus(uint64_t timeout_cycles);

// In the NMI handler: halts for good (never returns) when a stop was
// asked; returns otherwise, and the NMI is reported as before.
void halt_if_stop_requested();

} // namespace arch
