#pragma once

// Multiboot2 boot information layouts (Multiboot2 specification 3.6),
// declared once. Only src/boot/ reads these; the rest of the kernel sees
// BootInfo (boot_info.h).

#include <stddef.h>
#include <stdint.h>

namespace boot::multiboot2 {

inline constexpr uint32_t kBootloaderMagic = 0x36D76289;

enum class TagType : uint32_t {
    End = 0,
    CommandLine = 1,
    BootloaderName = 2,
    Module = 3,
    BasicMemoryInfo = 4,
    BiosBootDevice = 5,
    MemoryMap = 6,
    Framebuffer = 8,
    AcpiOldRsdp = 14,
    AcpiNewRsdp = 15,
};

struct InfoHeader {
    uint32_t total_size; // including this header and the end tag
    uint32_t reserved;
};
static_assert(sizeof(InfoHeader) == 8);

struct TagHeader {
    uint32_t type;
    uint32_t size; // including this header, excluding padding to 8 bytes
};
static_assert(sizeof(TagHeader) == 8);

inline constexpr size_t kTagAlignment = 8;

struct BasicMemoryInfoTag {
    TagHeader header;
    uint32_t lower_kib; // memory below 1 MiB
    uint32_t upper_kib; // memory from 1 MiB to the first hole
};
static_assert(sizeof(BasicMemoryInfoTag) == 16);

struct ModuleTag {
    TagHeader header;
    uint32_t start; // physical
    uint32_t end; // physical, one past the last byte
    // a NUL-terminated command line follows
};
static_assert(sizeof(ModuleTag) == 16);

struct MemoryMapTag {
    TagHeader header;
    uint32_t entry_size;
    uint32_t entry_version;
    // entries follow
};
static_assert(sizeof(MemoryMapTag) == 16);

struct MemoryMapEntry {
    uint64_t base;
    uint64_t length;
    uint32_t type;
    uint32_t reserved;
};
static_assert(sizeof(MemoryMapEntry) == 24);
static_assert(offsetof(MemoryMapEntry, type) == 16);

inline constexpr uint32_t kMemoryMapEntryVersion = 0;

// Spec 3.6.12. The colour information that follows depends on type.
struct FramebufferTag {
    TagHeader header;
    uint64_t address; // physical
    uint32_t pitch; // bytes from one line to the next
    uint32_t width; // pixels (characters for EGA text)
    uint32_t height;
    uint8_t bits_per_pixel;
    uint8_t type;
    uint16_t reserved; // GRUB writes 16 bits here, the spec's table 8
};
static_assert(sizeof(FramebufferTag) == 32);

enum class FramebufferType : uint8_t {
    IndexedColour = 0,
    DirectRgb = 1,
    EgaText = 2,
};

// After a DirectRgb tag's fixed fields: each channel's lowest bit and width.
struct FramebufferRgbFields {
    uint8_t red_position;
    uint8_t red_size;
    uint8_t green_position;
    uint8_t green_size;
    uint8_t blue_position;
    uint8_t blue_size;
};
static_assert(sizeof(FramebufferRgbFields) == 6);

// ACPI 6.4 5.2.5.3: the v1 RSDP is 20 bytes, the v2 one 36.
inline constexpr size_t kRsdpV1Size = 20;
inline constexpr size_t kRsdpV2Size = 36;

} // namespace boot::multiboot2
