#include "boot/boot_info.h"
#include "boot/multiboot2.h"

namespace boot {
namespace {

using lib::fail;

constexpr uint32_t kNoTag = 0xFFFFFFFF;

BootInfoError error(const char* reason, const char* field, uint32_t tag_type, size_t offset)
{
    return BootInfoError { reason, field, tag_type, static_cast<uint32_t>(offset) };
}

// Tags may sit at any 8-byte offset of a buffer the loader chose, so fields
// are copied out rather than read through misaligned struct pointers.
template <typename T>
T read_at(const uint8_t* base, size_t offset)
{
    T value;
    __builtin_memcpy(&value, base + offset, sizeof(T));
    return value;
}

constexpr size_t align_up(size_t value, size_t alignment)
{
    return (value + alignment - 1) & ~(alignment - 1);
}

// A string at the end of a tag, after fixed_size bytes of fixed fields, must
// be NUL-terminated inside the tag. The caller has checked size > fixed_size.
lib::Result<lib::StringView, BootInfoError> read_string_tag(const uint8_t* info, size_t offset, uint32_t size,
    uint32_t type, size_t fixed_size = sizeof(multiboot2::TagHeader))
{
    const char* text = reinterpret_cast<const char*>(info + offset + fixed_size);
    size_t capacity = size - fixed_size;
    size_t length = 0;
    while (length < capacity && text[length] != '\0')
        ++length;
    if (length == capacity)
        return fail(error("string is not NUL-terminated inside its tag", "string", type, offset));
    return lib::StringView(text, length);
}

// Copies the loader's entries into entries; parse_multiboot2 mends them.
lib::Result<void, BootInfoError> read_memory_map(
    const uint8_t* info, size_t offset, uint32_t size, BootInfo& boot_info, MemoryRegion* entries)
{
    constexpr auto kTagType = static_cast<uint32_t>(multiboot2::TagType::MemoryMap);
    if (size < sizeof(multiboot2::MemoryMapTag))
        return fail(error("tag is smaller than its fixed fields", "size", kTagType, offset));
    auto tag = read_at<multiboot2::MemoryMapTag>(info, offset);
    if (tag.entry_size < sizeof(multiboot2::MemoryMapEntry) || tag.entry_size % 8 != 0)
        return fail(
            error("entry_size must be at least 24 and a multiple of 8", "entry_size", kTagType, offset));
    if (tag.entry_version != multiboot2::kMemoryMapEntryVersion)
        return fail(error("unknown entry_version", "entry_version", kTagType, offset));
    size_t entries_bytes = size - sizeof(multiboot2::MemoryMapTag);
    if (entries_bytes % tag.entry_size != 0)
        return fail(error("size is not a whole number of entries", "size", kTagType, offset));
    size_t entry_count = entries_bytes / tag.entry_size;
    if (entry_count > BootInfo::kMaxLoaderMemoryEntries)
        return fail(error("more memory map entries than the kernel keeps", "size", kTagType, offset));

    for (size_t i = 0; i < entry_count; ++i) {
        auto entry = read_at<multiboot2::MemoryMapEntry>(
            info, offset + sizeof(multiboot2::MemoryMapTag) + i * tag.entry_size);
        // Types other than the five defined ones are reserved (spec 3.6.8).
        MemoryType region_type
            = entry.type >= 1 && entry.type <= 5 ? static_cast<MemoryType>(entry.type) : MemoryType::Reserved;
        entries[i] = { entry.base, entry.length, region_type };
    }
    boot_info.loader_memory_entries = entry_count;
    return {};
}

// The fields as written; whether the console may use them is
// check_framebuffer's call, once the memory map is known. A framebuffer tag
// is never a reason to refuse the whole structure: the worst a lying one
// costs is the screen.
FramebufferTagFields read_framebuffer_tag(const uint8_t* info, size_t offset, uint32_t size)
{
    FramebufferTagFields fields {};
    fields.tag_size = size;
    if (size < sizeof(multiboot2::FramebufferTag))
        return fields;
    auto tag = read_at<multiboot2::FramebufferTag>(info, offset);
    fields.address = tag.address;
    fields.pitch = tag.pitch;
    fields.width = tag.width;
    fields.height = tag.height;
    fields.bits_per_pixel = tag.bits_per_pixel;
    fields.type = tag.type;
    if (size >= sizeof(multiboot2::FramebufferTag) + sizeof(multiboot2::FramebufferRgbFields)) {
        auto rgb
            = read_at<multiboot2::FramebufferRgbFields>(info, offset + sizeof(multiboot2::FramebufferTag));
        fields.red = { rgb.red_position, rgb.red_size };
        fields.green = { rgb.green_position, rgb.green_size };
        fields.blue = { rgb.blue_position, rgb.blue_size };
    }
    return fields;
}

} // namespace

lib::Result<BootInfo, BootInfoError> parse_multiboot2(const uint8_t* info, size_t available)
{
    if (info == nullptr)
        return fail(error("no boot information (null address)", "address", kNoTag, 0));
    if ((reinterpret_cast<uintptr_t>(info) & (multiboot2::kTagAlignment - 1)) != 0)
        return fail(error("structure is not 8-byte aligned", "address", kNoTag, 0));

    if (available < sizeof(multiboot2::InfoHeader))
        return fail(error("structure is smaller than its header", "total_size", kNoTag, 0));
    auto header = read_at<multiboot2::InfoHeader>(info, 0);
    if (header.total_size < sizeof(multiboot2::InfoHeader) + sizeof(multiboot2::TagHeader))
        return fail(error("total_size is too small to hold the end tag", "total_size", kNoTag, 0));
    if (header.total_size > kMaxBootInfoSize)
        return fail(error("total_size is implausibly large", "total_size", kNoTag, 0));
    if (header.total_size % multiboot2::kTagAlignment != 0)
        return fail(error("total_size is not a multiple of 8", "total_size", kNoTag, 0));
    if (header.total_size > available)
        return fail(error("total_size runs past the memory the loader handed over", "total_size", kNoTag, 0));

    BootInfo boot_info;
    boot_info.total_size = header.total_size;
    MemoryRegion loader_entries[BootInfo::kMaxLoaderMemoryEntries];
    bool has_memory_map = false;
    FramebufferTagFields framebuffer_tag {};
    bool has_framebuffer_tag = false;
    size_t offset = sizeof(multiboot2::InfoHeader);
    for (;;) {
        if (offset + sizeof(multiboot2::TagHeader) > header.total_size)
            return fail(error("tags run past total_size without an end tag", "total_size", kNoTag, offset));
        auto tag = read_at<multiboot2::TagHeader>(info, offset);
        if (tag.size < sizeof(multiboot2::TagHeader))
            return fail(error("tag size is smaller than a tag header", "size", tag.type, offset));
        if (tag.size > header.total_size - offset)
            return fail(error("tag runs past total_size", "size", tag.type, offset));
        ++boot_info.tag_count;

        switch (static_cast<multiboot2::TagType>(tag.type)) {
        case multiboot2::TagType::End:
            if (tag.size != sizeof(multiboot2::TagHeader))
                return fail(error("end tag must be 8 bytes", "size", tag.type, offset));
            if (offset + sizeof(multiboot2::TagHeader) != header.total_size)
                return fail(error("end tag is not where total_size says", "total_size", tag.type, offset));
            if (!has_memory_map)
                return fail(error(
                    "no memory map tag", "type 6", static_cast<uint32_t>(multiboot2::TagType::MemoryMap), 0));
            boot_info.memory_region_count
                = normalize_memory_map(loader_entries, boot_info.loader_memory_entries,
                    boot_info.memory_regions, BootInfo::kMaxMemoryRegions, boot_info.memory_map_repairs);
            if (has_framebuffer_tag)
                boot_info.framebuffer = check_framebuffer(framebuffer_tag, boot_info.memory_map());
            return boot_info;
        case multiboot2::TagType::CommandLine: {
            boot_info.command_line = TRY(read_string_tag(info, offset, tag.size, tag.type));
            break;
        }
        case multiboot2::TagType::BootloaderName: {
            boot_info.bootloader_name = TRY(read_string_tag(info, offset, tag.size, tag.type));
            break;
        }
        case multiboot2::TagType::Module: {
            if (tag.size < sizeof(multiboot2::ModuleTag) + 1)
                return fail(error("module tag is smaller than its fixed fields", "size", tag.type, offset));
            auto module = read_at<multiboot2::ModuleTag>(info, offset);
            if (module.end < module.start)
                return fail(error("module ends before it starts", "mod_end", tag.type, offset));
            if (boot_info.module_count == BootInfo::kMaxModules)
                return fail(error("more modules than the kernel keeps", "type", tag.type, offset));
            lib::StringView name
                = TRY(read_string_tag(info, offset, tag.size, tag.type, sizeof(multiboot2::ModuleTag)));
            boot_info.modules[boot_info.module_count++] = { module.start, module.end, name };
            break;
        }
        case multiboot2::TagType::BasicMemoryInfo: {
            if (tag.size != sizeof(multiboot2::BasicMemoryInfoTag))
                return fail(error("basic memory info tag must be 16 bytes", "size", tag.type, offset));
            auto meminfo = read_at<multiboot2::BasicMemoryInfoTag>(info, offset);
            boot_info.has_basic_memory_info = true;
            boot_info.lower_memory_kib = meminfo.lower_kib;
            boot_info.upper_memory_kib = meminfo.upper_kib;
            break;
        }
        case multiboot2::TagType::MemoryMap: {
            if (has_memory_map)
                return fail(error("second memory map tag", "type", tag.type, offset));
            TRY(read_memory_map(info, offset, tag.size, boot_info, loader_entries));
            has_memory_map = true;
            break;
        }
        case multiboot2::TagType::Framebuffer: {
            if (has_framebuffer_tag)
                framebuffer_tag.repeated = true;
            else
                framebuffer_tag = read_framebuffer_tag(info, offset, tag.size);
            has_framebuffer_tag = true;
            break;
        }
        case multiboot2::TagType::AcpiOldRsdp:
        case multiboot2::TagType::AcpiNewRsdp: {
            bool is_v2 = static_cast<multiboot2::TagType>(tag.type) == multiboot2::TagType::AcpiNewRsdp;
            size_t needed
                = sizeof(multiboot2::TagHeader) + (is_v2 ? multiboot2::kRsdpV2Size : multiboot2::kRsdpV1Size);
            if (tag.size < needed)
                return fail(error("RSDP copy is shorter than the ACPI table", "size", tag.type, offset));
            // Prefer the v2 RSDP when a loader passes both.
            if (is_v2 || boot_info.acpi_rsdp_version == 0) {
                boot_info.acpi_rsdp = info + offset + sizeof(multiboot2::TagHeader);
                boot_info.acpi_rsdp_version = is_v2 ? 2 : 1;
            }
            break;
        }
        default:
            // Unknown and unused types are skipped by their size (spec 3.6.1).
            break;
        }
        offset += align_up(tag.size, multiboot2::kTagAlignment);
    }
}

} // namespace boot
