#pragma once

// Turns on the CPU's protections that the kernel relies on, each only where
// CPUID reports it, and says which are on.

#include "arch/x86_64/cpuid.h"

namespace arch {

struct CpuProtections {
    bool nx, write_protect, smep, smap, umip;
};

CpuProtections enable_cpu_protections(const CpuFeatures& features);

} // namespace arch
