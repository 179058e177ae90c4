#pragma once

// What the kernel needs from its boot loader, in plain types. Built and
// validated once by parse_multiboot2(); nothing else reads Multiboot2.

#include <stddef.h>
#include <stdint.h>

#include "lib/result.h"
#include "lib/string_view.h"

namespace boot {

enum class MemoryType : uint32_t {
    Usable = 1,
    Reserved = 2,
    AcpiReclaimable = 3,
    AcpiNvs = 4,
    Defective = 5,
};

const char* memory_type_name(MemoryType type);

struct MemoryRegion {
    uint64_t base;
    uint64_t length;
    MemoryType type;
};

struct BootInfo {
    static constexpr size_t kMaxMemoryRegions = 128;

    lib::StringView bootloader_name;
    lib::StringView command_line;
    MemoryRegion memory_regions[kMaxMemoryRegions];
    size_t memory_region_count = 0;
    bool has_basic_memory_info = false;
    uint32_t lower_memory_kib = 0;
    uint32_t upper_memory_kib = 0;
    const void* acpi_rsdp = nullptr; // the loader's copy, inside the structure
    uint8_t acpi_rsdp_version = 0; // 1 or 2, 0 when absent
    size_t tag_count = 0;
    uint32_t total_size = 0;

    uint64_t usable_bytes() const;
};

// Why a structure was rejected: the tag (by type and offset) and the field.
struct BootInfoError {
    const char* reason;
    const char* field;
    uint32_t tag_type;
    uint32_t offset;
};

// The limit on total_size: real loaders produce a few KiB; anything near
// this is a corrupt size field, not a large machine.
inline constexpr uint32_t kMaxBootInfoSize = 1024 * 1024;

// info points at the structure; it is read only within total_size, and
// total_size itself is checked against kMaxBootInfoSize first.
lib::Result<BootInfo, BootInfoError> parse_multiboot2(const uint8_t* info);

} // namespace boot
