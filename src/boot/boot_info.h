#pragma once

// What the kernel needs from its boot loader, in plain types. Built and
// validated once by read_multiboot2() (multiboot2_entry.h); nothing outside
// src/boot/ reads Multiboot2.

#include <stddef.h>
#include <stdint.h>

#include "boot/framebuffer_info.h"
#include "boot/memory_map.h"
#include "lib/result.h"
#include "lib/string_view.h"

namespace boot {

// Physical memory [start, end).
struct PhysicalRange {
    uint64_t start;
    uint64_t end;

    constexpr bool overlaps(const PhysicalRange& other) const
    {
        return start < other.end && other.start < end;
    }
};

struct BootModule {
    uint64_t start; // physical, first byte
    uint64_t end; // physical, one past the last byte
    lib::StringView command_line;
};

struct BootInfo {
    static constexpr size_t kMaxModules = 16;

    // Entries the loader may send; mending can at most double them.
    static constexpr size_t kMaxLoaderMemoryEntries = 128;
    static constexpr size_t kMaxMemoryRegions = 2 * kMaxLoaderMemoryEntries;

    lib::StringView bootloader_name;
    lib::StringView command_line;
    // The mended map (memory_map.h): sorted, disjoint, usable in whole pages.
    MemoryRegion memory_regions[kMaxMemoryRegions];
    size_t memory_region_count = 0;
    size_t loader_memory_entries = 0; // as the loader sent them
    MemoryMapRepairs memory_map_repairs;
    BootModule modules[kMaxModules];
    size_t module_count = 0;
    bool has_basic_memory_info = false;
    uint32_t lower_memory_kib = 0;
    uint32_t upper_memory_kib = 0;
    const void* acpi_rsdp = nullptr; // the loader's copy, inside the structure
    uint8_t acpi_rsdp_version = 0; // 1 or 2, 0 when absent
    // Checked against the mended map (framebuffer_info.h): a tag that lies
    // is refused, with the reason, and the boot goes on without a screen.
    FramebufferOffer framebuffer;
    size_t tag_count = 0;
    uint32_t total_size = 0;
    uint64_t physical_address = 0; // where the loader put the structure (0 until read_multiboot2 sets it)

    // The bytes the structure occupies, which the kernel must not reuse.
    PhysicalRange physical_range() const { return { physical_address, physical_address + total_size }; }

    MemoryMapView memory_map() const { return MemoryMapView(memory_regions, memory_region_count); }
    MemoryMapView::UsableRegions usable_regions() const { return memory_map().usable_regions(); }
    uint64_t usable_top() const { return memory_map().usable_top(); }
    uint64_t usable_bytes() const { return memory_map().usable_bytes(); }
    // Whether every byte of [start, end) lies in usable regions (an empty
    // range does): where a loader may have put a module.
    bool is_usable(uint64_t start, uint64_t end) const { return memory_map().is_usable(start, end); }
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

// info points at the structure and available bytes can be read there;
// nothing past total_size (checked against both limits first) is read.
lib::Result<BootInfo, BootInfoError> parse_multiboot2(const uint8_t* info, size_t available);

} // namespace boot
