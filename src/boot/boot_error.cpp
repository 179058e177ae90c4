#include "boot/boot_error.h"

#include "boot/multiboot2.h"

namespace boot {

void BootError::write_message(lib::FormatSink& sink) const
{
    switch (kind) {
    case Kind::WrongMagic:
        lib::format_to(sink, "Multiboot2 magic is {:#x}, expected {:#x}", static_cast<uint32_t>(value),
            multiboot2::kBootloaderMagic);
        return;
    case Kind::OutsideEarlyDirectMap:
        lib::format_to(sink, "Multiboot2 information at {:#x} lies outside the early direct map", value);
        return;
    case Kind::Malformed:
        lib::format_to(sink, "Multiboot2 information rejected: {} (tag type {}, field {}, offset {})",
            malformed.reason, malformed.tag_type, malformed.field, malformed.offset);
        return;
    case Kind::ModuleOutsideUsableMemory:
        lib::format_to(sink, "boot module '{}' at {:#x}-{:#x} is not inside usable memory",
            module.command_line, module.start, module.end);
        return;
    case Kind::ModuleOverKernelImage:
        lib::format_to(sink, "boot module '{}' at {:#x}-{:#x} overlaps the kernel image", module.command_line,
            module.start, module.end);
        return;
    case Kind::ModuleOverBootInformation:
        lib::format_to(sink, "boot module '{}' at {:#x}-{:#x} overlaps the Multiboot2 information",
            module.command_line, module.start, module.end);
        return;
    }
    lib::format_to(sink, "unknown boot error {}", kind);
}

} // namespace boot
