#pragma once

// Bounds of the kernel image, exported by linker/kernel.ld. Each group is
// page-aligned with its own rights: text RX, rodata R, data and bss RW.

#include <stdint.h>

// bugprone-dynamic-static-initializers flags every global in a header without
// a constant initializer, declarations included; these are the linker's
// symbols and nothing initializes them.
// NOLINTBEGIN(bugprone-dynamic-static-initializers)
extern "C" {
extern const uint8_t __boot_start[], __boot_end[];
extern const uint8_t __kernel_start[], __kernel_end[];
extern const uint8_t __text_start[], __text_end[];
extern const uint8_t __rodata_start[], __rodata_end[];
extern const uint8_t __data_start[], __data_end[];
extern const uint8_t __ro_after_init_start[], __ro_after_init_end[];
extern const uint8_t __bss_start[], __bss_end[];
}
// NOLINTEND(bugprone-dynamic-static-initializers)

namespace kernel {

inline constexpr uint64_t kKernelVirtualBase = 0xFFFFFFFF80000000;

struct ImageRange {
    const uint8_t* start;
    const uint8_t* end;

    uint64_t size() const { return static_cast<uint64_t>(end - start); }
    uint64_t physical_start() const { return reinterpret_cast<uint64_t>(start) - kKernelVirtualBase; }
    uint64_t physical_end() const { return physical_start() + size(); }
};

// Where GRUB's load of the image begins in physical memory: the trampoline,
// linked at its physical address (1 MiB), comes before kernel_image().
inline uint64_t loaded_image_physical_start()
{
    return reinterpret_cast<uint64_t>(__boot_start);
}

inline ImageRange kernel_image()
{
    return { __kernel_start, __kernel_end };
}
inline ImageRange text_section()
{
    return { __text_start, __text_end };
}
inline ImageRange rodata_section()
{
    return { __rodata_start, __rodata_end };
}
inline ImageRange data_section()
{
    return { __data_start, __data_end };
}
inline ImageRange ro_after_init_section()
{
    return { __ro_after_init_start, __ro_after_init_end };
}
inline ImageRange bss_section()
{
    return { __bss_start, __bss_end };
}

} // namespace kernel
