#pragma once

// What the CPU says about itself through CPUID (Intel SDM Vol. 2A, CPUID;
// AMD APM Vol. 3, E.3), reduced to the facts the kernel acts on.

#include <stdint.h>

namespace arch {

struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
};

CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0);

struct CpuFeatures {
    char vendor[13]; // "GenuineIntel", "AuthenticAMD", ...
    char brand[49]; // the processor brand string, trimmed
    bool nx; // 80000001h EDX[20]: no-execute pages
    bool smep; // 7.0 EBX[7]
    bool smap; // 7.0 EBX[20]
    bool umip; // 7.0 ECX[2]
    bool apic; // 1 EDX[9]
    bool x2apic; // 1 ECX[21]
    bool rdrand; // 1 ECX[30]
    bool invariant_tsc; // 80000007h EDX[8]
    bool gigabyte_pages; // 80000001h EDX[26]
    uint8_t physical_address_bits; // 80000008h EAX[7:0] (MAXPHYADDR); 36 when the leaf is missing
};

CpuFeatures detect_cpu_features();

} // namespace arch
