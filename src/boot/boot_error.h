#pragma once

// Why the kernel cannot boot with what its loader handed over. The message
// is the kernel's [PANIC] text; it is written here, beside the checks, so
// the wording lives in one place.

#include <stdint.h>

#include "boot/boot_info.h"
#include "lib/format.h"

namespace boot {

struct BootError {
    enum class Kind : uint8_t {
        WrongMagic, // EAX did not hold the Multiboot2 magic
        OutsideEarlyDirectMap, // the structure may run past what the trampoline mapped
        Malformed, // parse_multiboot2 rejected the structure
        ModuleOutsideUsableMemory,
        ModuleOverKernelImage,
        ModuleOverBootInformation,
    };

    Kind kind;
    uint64_t value = 0; // WrongMagic: the magic; OutsideEarlyDirectMap: the address
    BootInfoError malformed {}; // Malformed
    BootModule module {}; // Module*

    static BootError wrong_magic(uint32_t magic) { return { Kind::WrongMagic, magic }; }
    static BootError outside_early_direct_map(uint64_t address)
    {
        return { Kind::OutsideEarlyDirectMap, address };
    }
    static BootError malformed_structure(const BootInfoError& error) { return { Kind::Malformed, 0, error }; }
    static BootError misplaced_module(Kind kind, const BootModule& module) { return { kind, 0, {}, module }; }

    void write_message(lib::FormatSink& sink) const;
};

} // namespace boot
