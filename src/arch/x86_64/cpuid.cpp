#include "arch/x86_64/cpuid.h"
#include "arch/cpu.h"

#include <stddef.h>

namespace arch {
namespace {

bool bit_set(uint32_t value, unsigned bit)
{
    return (value >> bit) & 1;
}

void copy_register_bytes(char* destination, uint32_t value)
{
    for (int i = 0; i < 4; ++i)
        destination[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
}

// Brand strings are padded with leading spaces on some CPUs.
void trim_leading_spaces(char* text)
{
    char* start = text;
    while (*start == ' ')
        ++start;
    if (start == text)
        return;
    char* out = text;
    while ((*out++ = *start++) != '\0') { }
}

} // namespace

CpuidResult cpuid(uint32_t leaf, uint32_t subleaf)
{
    CpuidResult result;
    asm volatile("cpuid"
                 : "=a"(result.eax), "=b"(result.ebx), "=c"(result.ecx), "=d"(result.edx)
                 : "a"(leaf), "c"(subleaf));
    return result;
}

CpuFeatures detect_cpu_features()
{
    CpuFeatures features {};
    CpuidResult leaf0 = cpuid(0);
    uint32_t max_leaf = leaf0.eax;
    // The vendor string is EBX, EDX, ECX in that order.
    copy_register_bytes(features.vendor, leaf0.ebx);
    copy_register_bytes(features.vendor + 4, leaf0.edx);
    copy_register_bytes(features.vendor + 8, leaf0.ecx);
    features.vendor[12] = '\0';

    if (max_leaf >= 1) {
        CpuidResult leaf1 = cpuid(1);
        features.apic = bit_set(leaf1.edx, 9);
        features.x2apic = bit_set(leaf1.ecx, 21);
        features.rdrand = bit_set(leaf1.ecx, 30);
    }
    if (max_leaf >= 7) {
        CpuidResult leaf7 = cpuid(7, 0);
        features.smep = bit_set(leaf7.ebx, 7);
        features.smap = bit_set(leaf7.ebx, 20);
        features.umip = bit_set(leaf7.ecx, 2);
    }

    uint32_t max_extended = cpuid(0x80000000).eax;
    if (max_extended >= 0x80000001) {
        CpuidResult extended1 = cpuid(0x80000001);
        features.nx = bit_set(extended1.edx, 20);
        features.gigabyte_pages = bit_set(extended1.edx, 26);
    }
    if (max_extended >= 0x80000004) {
        for (uint32_t i = 0; i < 3; ++i) {
            CpuidResult part = cpuid(0x80000002 + i);
            char* chunk = features.brand + size_t { 16 } * i;
            copy_register_bytes(chunk, part.eax);
            copy_register_bytes(chunk + 4, part.ebx);
            copy_register_bytes(chunk + 8, part.ecx);
            copy_register_bytes(chunk + 12, part.edx);
        }
        features.brand[48] = '\0';
        trim_leading_spaces(features.brand);
    } else {
        __builtin_memcpy(features.brand, "(no brand string)", 18);
    }
    if (max_extended >= 0x80000007)
        features.invariant_tsc = bit_set(cpuid(0x80000007).edx, 8);
    // SDM Vol. 3A 4.1.4: without the leaf, MAXPHYADDR is 36.
    constexpr uint8_t kDefaultPhysicalAddressBits = 36;
    features.physical_address_bits = max_extended >= 0x80000008
        ? static_cast<uint8_t>(cpuid(0x80000008).eax & 0xFF)
        : kDefaultPhysicalAddressBits;
    return features;
}

uint64_t physical_address_limit()
{
    return uint64_t { 1 } << detect_cpu_features().physical_address_bits;
}

} // namespace arch
