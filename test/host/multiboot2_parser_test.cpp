#include "boot/boot_error.h"
#include "boot/boot_info.h"
#include "boot/multiboot2.h"
#include "boot/multiboot2_entry.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

using boot::BootError;
using boot::multiboot2::TagType;

// The builders' storage always holds total_size; the limit is the parser's own.
constexpr size_t kAvailable = boot::kMaxBootInfoSize;

// Builds a Multiboot2 information structure the way a loader lays it out:
// fixed header, tags at 8-byte offsets, end tag, total_size patched last.
class InfoBuilder {
public:
    InfoBuilder() { put32(0), put32(0); }

    InfoBuilder& tag(uint32_t type, const std::vector<uint8_t>& payload)
    {
        pad();
        put32(type);
        put32(static_cast<uint32_t>(8 + payload.size()));
        m_bytes.insert(m_bytes.end(), payload.begin(), payload.end());
        return *this;
    }

    InfoBuilder& string_tag(TagType type, const std::string& text)
    {
        std::vector<uint8_t> payload(text.begin(), text.end());
        payload.push_back(0);
        return tag(static_cast<uint32_t>(type), payload);
    }

    struct Entry {
        uint64_t base, length;
        uint32_t type;
    };
    InfoBuilder& memory_map(const std::vector<Entry>& entries, uint32_t entry_size = 24, uint32_t version = 0)
    {
        std::vector<uint8_t> payload;
        append32(payload, entry_size);
        append32(payload, version);
        for (const Entry& entry : entries) {
            // Laid out at the standard offsets, then cut or padded to entry_size.
            std::vector<uint8_t> raw(24, 0);
            std::memcpy(raw.data(), &entry.base, 8);
            std::memcpy(raw.data() + 8, &entry.length, 8);
            std::memcpy(raw.data() + 16, &entry.type, 4);
            raw.resize(entry_size, 0);
            payload.insert(payload.end(), raw.begin(), raw.end());
        }
        return tag(static_cast<uint32_t>(TagType::MemoryMap), payload);
    }

    InfoBuilder& standard_memory_map()
    {
        return memory_map({ { 0, 0x9FC00, 1 }, { 0x100000, 0x7F00000, 1 }, { 0xFFFC0000, 0x40000, 2 } });
    }

    // Finishes with an end tag and total_size; returns 8-byte aligned storage.
    const uint8_t* finish()
    {
        pad();
        put32(0);
        put32(8);
        patch_total_size(static_cast<uint32_t>(m_bytes.size()));
        return data();
    }

    void patch_total_size(uint32_t size) { std::memcpy(m_bytes.data(), &size, 4); }
    void patch32(size_t offset, uint32_t value) { std::memcpy(m_bytes.data() + offset, &value, 4); }
    size_t size() const { return m_bytes.size(); }

    const uint8_t* data()
    {
        m_storage.assign((m_bytes.size() + 7) / 8 + 1, 0);
        std::memcpy(m_storage.data(), m_bytes.data(), m_bytes.size());
        return reinterpret_cast<const uint8_t*>(m_storage.data());
    }

private:
    static void append32(std::vector<uint8_t>& bytes, uint32_t value)
    {
        uint8_t raw[4];
        std::memcpy(raw, &value, 4);
        bytes.insert(bytes.end(), raw, raw + 4);
    }
    void put32(uint32_t value) { append32(m_bytes, value); }
    void pad()
    {
        while (m_bytes.size() % 8 != 0)
            m_bytes.push_back(0);
    }

    std::vector<uint8_t> m_bytes;
    std::vector<uint64_t> m_storage;
};

std::string reason_for(const uint8_t* info)
{
    auto parsed = boot::parse_multiboot2(info, kAvailable);
    return parsed.has_value() ? "(accepted)" : parsed.error().reason;
}

// The kernel's [PANIC] text for a boot error.
std::string message_of(const BootError& error)
{
    char buffer[512];
    lib::BufferSink sink(buffer, sizeof(buffer));
    error.write_message(sink);
    return std::string(sink.view().data(), sink.view().size());
}

TEST(Multiboot2Parser, ReadsAWellFormedStructure)
{
    InfoBuilder builder;
    builder.string_tag(TagType::CommandLine, "exit level=2")
        .string_tag(TagType::BootloaderName, "GRUB 2.06")
        .tag(static_cast<uint32_t>(TagType::BasicMemoryInfo), { 0x7F, 2, 0, 0, 0, 0xFC, 1, 0 })
        .standard_memory_map();
    auto parsed = boot::parse_multiboot2(builder.finish(), kAvailable);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().reason;
    const boot::BootInfo& info = parsed.value();
    EXPECT_EQ(std::string(info.command_line.data(), info.command_line.size()), "exit level=2");
    EXPECT_EQ(std::string(info.bootloader_name.data(), info.bootloader_name.size()), "GRUB 2.06");
    EXPECT_TRUE(info.has_basic_memory_info);
    EXPECT_EQ(info.lower_memory_kib, 0x27Fu);
    EXPECT_EQ(info.upper_memory_kib, 0x1FC00u);
    ASSERT_EQ(info.memory_region_count, 3u);
    EXPECT_EQ(info.memory_regions[1].base, 0x100000u);
    EXPECT_EQ(info.memory_regions[2].type, boot::MemoryType::Reserved);
    // The mended map counts whole pages only: 0x9FC00 is trimmed to 0x9F000.
    EXPECT_EQ(info.usable_bytes(), 0x9F000u + 0x7F00000u);
    EXPECT_EQ(info.memory_map_repairs.unaligned, 1u);
    EXPECT_EQ(info.tag_count, 5u);
}

TEST(Multiboot2Parser, IsUsableNeedsEveryByteInUsableRegions)
{
    InfoBuilder builder;
    builder.memory_map({ { 0x0, 0x9F000, 1 }, { 0x100000, 0x100000, 1 }, { 0x200000, 0x100000, 1 },
        { 0x300000, 0x1000, 2 } });
    auto parsed = boot::parse_multiboot2(builder.finish(), kAvailable);
    ASSERT_TRUE(parsed.has_value());
    const boot::BootInfo& info = parsed.value();
    EXPECT_TRUE(info.is_usable(0x100000, 0x101000));
    EXPECT_TRUE(info.is_usable(0x1FF000, 0x201000)); // across two adjacent usable regions
    EXPECT_TRUE(info.is_usable(0x150000, 0x150000)); // empty
    EXPECT_TRUE(info.is_usable(0x9F000, 0x9F000));
    EXPECT_FALSE(info.is_usable(0x9E000, 0xA0000)); // into the hole below 1 MiB
    EXPECT_FALSE(info.is_usable(0x2FF000, 0x301000)); // into reserved
    EXPECT_FALSE(info.is_usable(0x300000, 0x301000));
    EXPECT_FALSE(info.is_usable(0xF0000000, 0xF0100000)); // past every region
}

TEST(Multiboot2Parser, SkipsUnknownTagsBySize)
{
    InfoBuilder builder;
    builder.tag(0x1234, { 1, 2, 3 }).standard_memory_map();
    EXPECT_EQ(reason_for(builder.finish()), "(accepted)");
}

TEST(Multiboot2Parser, AcceptsLargerEntrySizeAndMapsUnknownTypesToReserved)
{
    InfoBuilder builder;
    builder.memory_map({ { 0x100000, 0x1000, 1 }, { 0x200000, 0x1000, 77 } }, 32);
    auto parsed = boot::parse_multiboot2(builder.finish(), kAvailable);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed.value().memory_regions[1].base, 0x200000u);
    EXPECT_EQ(parsed.value().memory_regions[1].type, boot::MemoryType::Reserved);
}

TEST(Multiboot2Parser, PrefersTheV2Rsdp)
{
    InfoBuilder builder;
    builder.tag(static_cast<uint32_t>(TagType::AcpiOldRsdp), std::vector<uint8_t>(20, 1))
        .tag(static_cast<uint32_t>(TagType::AcpiNewRsdp), std::vector<uint8_t>(36, 2))
        .standard_memory_map();
    auto parsed = boot::parse_multiboot2(builder.finish(), kAvailable);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed.value().acpi_rsdp_version, 2);
}

TEST(Multiboot2Parser, RejectsBadTotalSize)
{
    InfoBuilder tiny;
    tiny.finish();
    tiny.patch_total_size(8);
    EXPECT_EQ(reason_for(tiny.data()), std::string("total_size is too small to hold the end tag"));

    InfoBuilder huge;
    huge.standard_memory_map().finish();
    huge.patch_total_size(boot::kMaxBootInfoSize + 8);
    EXPECT_EQ(reason_for(huge.data()), std::string("total_size is implausibly large"));

    InfoBuilder odd;
    odd.standard_memory_map().finish();
    odd.patch_total_size(static_cast<uint32_t>(odd.size() - 4));
    EXPECT_EQ(reason_for(odd.data()), std::string("total_size is not a multiple of 8"));
}

TEST(Multiboot2Parser, RejectsTagsThatRunPastTotalSize)
{
    InfoBuilder builder;
    builder.standard_memory_map().string_tag(TagType::CommandLine, "exit");
    builder.finish();
    builder.patch32(8 + 4, 0x10000); // the memory map tag's size
    auto parsed = boot::parse_multiboot2(builder.data(), kAvailable);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_STREQ(parsed.error().reason, "tag runs past total_size");
    EXPECT_EQ(parsed.error().tag_type, 6u);
    EXPECT_EQ(parsed.error().offset, 8u);
    EXPECT_EQ(message_of(BootError::malformed_structure(parsed.error())),
        "Multiboot2 information rejected: tag runs past total_size (tag type 6, field size, offset 8)");
}

TEST(Multiboot2Parser, RejectsAMissingOrMisplacedEndTag)
{
    InfoBuilder no_end;
    no_end.standard_memory_map().finish();
    no_end.patch_total_size(static_cast<uint32_t>(no_end.size() - 8)); // end tag outside
    EXPECT_EQ(reason_for(no_end.data()), std::string("tags run past total_size without an end tag"));

    InfoBuilder early_end;
    early_end.standard_memory_map().finish();
    early_end.patch_total_size(static_cast<uint32_t>(early_end.size() + 8));
    EXPECT_EQ(reason_for(early_end.data()), std::string("end tag is not where total_size says"));
}

TEST(Multiboot2Parser, RejectsATagSmallerThanItsHeader)
{
    InfoBuilder builder;
    builder.standard_memory_map().tag(0x99, {});
    builder.finish();
    size_t unknown_tag = builder.size() - 16;
    builder.patch32(unknown_tag + 4, 4);
    EXPECT_EQ(reason_for(builder.data()), std::string("tag size is smaller than a tag header"));
}

TEST(Multiboot2Parser, RejectsUnterminatedStrings)
{
    InfoBuilder builder;
    builder.tag(static_cast<uint32_t>(TagType::CommandLine), { 'e', 'x', 'i', 't' }).standard_memory_map();
    auto parsed = boot::parse_multiboot2(builder.finish(), kAvailable);
    ASSERT_FALSE(parsed.has_value());
    EXPECT_STREQ(parsed.error().reason, "string is not NUL-terminated inside its tag");
    EXPECT_EQ(parsed.error().tag_type, 1u);
}

TEST(Multiboot2Parser, RejectsBadMemoryMaps)
{
    InfoBuilder missing;
    missing.string_tag(TagType::CommandLine, "");
    EXPECT_EQ(reason_for(missing.finish()), std::string("no memory map tag"));

    InfoBuilder small_entries;
    small_entries.memory_map({ { 0, 0x1000, 1 } }, 16);
    EXPECT_EQ(reason_for(small_entries.finish()),
        std::string("entry_size must be at least 24 and a multiple of 8"));

    InfoBuilder unaligned_entries;
    unaligned_entries.memory_map({ { 0, 0x1000, 1 } }, 28);
    EXPECT_EQ(reason_for(unaligned_entries.finish()),
        std::string("entry_size must be at least 24 and a multiple of 8"));

    InfoBuilder version;
    version.memory_map({ { 0, 0x1000, 1 } }, 24, 1);
    EXPECT_EQ(reason_for(version.finish()), std::string("unknown entry_version"));

    InfoBuilder twice;
    twice.standard_memory_map().standard_memory_map();
    EXPECT_EQ(reason_for(twice.finish()), std::string("second memory map tag"));

    std::vector<InfoBuilder::Entry> too_many(boot::BootInfo::kMaxMemoryRegions + 1, { 0, 0x1000, 1 });
    InfoBuilder crowded;
    crowded.memory_map(too_many);
    EXPECT_EQ(reason_for(crowded.finish()), std::string("more memory map entries than the kernel keeps"));
}

TEST(Multiboot2Parser, RejectsBadFixedSizeTags)
{
    InfoBuilder meminfo;
    meminfo.tag(static_cast<uint32_t>(TagType::BasicMemoryInfo), { 1, 2, 3, 4 }).standard_memory_map();
    EXPECT_EQ(reason_for(meminfo.finish()), std::string("basic memory info tag must be 16 bytes"));

    InfoBuilder rsdp;
    rsdp.tag(static_cast<uint32_t>(TagType::AcpiNewRsdp), std::vector<uint8_t>(20, 0)).standard_memory_map();
    EXPECT_EQ(reason_for(rsdp.finish()), std::string("RSDP copy is shorter than the ACPI table"));
}

TEST(Multiboot2Parser, RejectsNullAndMisalignedStructures)
{
    EXPECT_EQ(reason_for(nullptr), std::string("no boot information (null address)"));
    InfoBuilder builder;
    builder.standard_memory_map();
    const uint8_t* aligned = builder.finish();
    EXPECT_EQ(reason_for(aligned + 4), std::string("structure is not 8-byte aligned"));
}

} // namespace

namespace {

std::vector<uint8_t> module_payload(uint32_t start, uint32_t end, const std::string& text)
{
    std::vector<uint8_t> payload(8);
    std::memcpy(payload.data(), &start, 4);
    std::memcpy(payload.data() + 4, &end, 4);
    payload.insert(payload.end(), text.begin(), text.end());
    payload.push_back(0);
    return payload;
}

TEST(Multiboot2Parser, ReadsModules)
{
    InfoBuilder builder;
    builder.tag(static_cast<uint32_t>(TagType::Module), module_payload(0x200000, 0x201000, "initrd"))
        .standard_memory_map();
    auto parsed = boot::parse_multiboot2(builder.finish(), kAvailable);
    ASSERT_TRUE(parsed.has_value());
    ASSERT_EQ(parsed.value().module_count, 1u);
    EXPECT_EQ(parsed.value().modules[0].start, 0x200000u);
    EXPECT_EQ(parsed.value().modules[0].end, 0x201000u);
    EXPECT_EQ(parsed.value().modules[0].command_line.size(), 6u);
}

TEST(Multiboot2Parser, RejectsAbsurdModules)
{
    InfoBuilder backwards;
    backwards.tag(static_cast<uint32_t>(TagType::Module), module_payload(0x300000, 0x200000, "x"))
        .standard_memory_map();
    EXPECT_EQ(reason_for(backwards.finish()), std::string("module ends before it starts"));

    InfoBuilder unterminated;
    auto payload = module_payload(0x200000, 0x201000, "abc");
    payload.pop_back();
    unterminated.tag(static_cast<uint32_t>(TagType::Module), payload).standard_memory_map();
    EXPECT_EQ(reason_for(unterminated.finish()), std::string("string is not NUL-terminated inside its tag"));
}

} // namespace

namespace {

// The kernel image as the placement checks see it: [1 MiB, 2 MiB).
constexpr boot::PhysicalRange kImage = { 0x100000, 0x200000 };
constexpr uint64_t kInfoPhysical = 0x300000;

// The texts below are the kernel's [PANIC] lines as test/test_boot_information.py
// expects them, byte for byte.
TEST(Multiboot2Entry, RejectsAnotherLoadersMagic)
{
    auto read = boot::read_multiboot2(0x2BADB002, kInfoPhysical, kImage);
    ASSERT_FALSE(read.has_value());
    EXPECT_EQ(read.error().kind, BootError::Kind::WrongMagic);
    EXPECT_EQ(message_of(read.error()), "Multiboot2 magic is 0x2badb002, expected 0x36d76289");
}

TEST(Multiboot2Entry, RejectsAStructureOutsideTheEarlyDirectMap)
{
    // The first address whose largest structure could run past 4 GiB.
    auto read = boot::read_multiboot2(boot::multiboot2::kBootloaderMagic, 0xFFF00000, kImage);
    ASSERT_FALSE(read.has_value());
    EXPECT_EQ(read.error().kind, BootError::Kind::OutsideEarlyDirectMap);
    EXPECT_EQ(
        message_of(read.error()), "Multiboot2 information at 0xfff00000 lies outside the early direct map");
    auto above = boot::read_multiboot2(boot::multiboot2::kBootloaderMagic, 0x123400000, kImage);
    ASSERT_FALSE(above.has_value());
    EXPECT_EQ(above.error().kind, BootError::Kind::OutsideEarlyDirectMap);
}

TEST(Multiboot2Entry, RejectsANullAddressAsMalformed)
{
    auto read = boot::read_multiboot2(boot::multiboot2::kBootloaderMagic, 0, kImage);
    ASSERT_FALSE(read.has_value());
    EXPECT_EQ(read.error().kind, BootError::Kind::Malformed);
    EXPECT_EQ(message_of(read.error()),
        "Multiboot2 information rejected: no boot information (null address) (tag type 4294967295, field "
        "address, offset 0)");
}

boot::BootInfo info_with_module(uint32_t start, uint32_t end, const std::string& name, InfoBuilder& builder)
{
    builder.tag(static_cast<uint32_t>(TagType::Module), module_payload(start, end, name))
        .standard_memory_map();
    auto parsed = boot::parse_multiboot2(builder.finish(), kAvailable);
    EXPECT_TRUE(parsed.has_value());
    boot::BootInfo info = parsed.value();
    info.physical_address = kInfoPhysical;
    return info;
}

TEST(Multiboot2Entry, AcceptsAModuleInFreeUsableMemory)
{
    InfoBuilder builder;
    boot::BootInfo info = info_with_module(0x500000, 0x502000, "initrd", builder);
    EXPECT_TRUE(boot::check_module_placement(info, kImage).has_value());
    // Touching the image and the structure on either side is not overlapping them.
    InfoBuilder touching;
    boot::BootInfo next_to = info_with_module(0x200000, 0x300000, "between", touching);
    EXPECT_TRUE(boot::check_module_placement(next_to, kImage).has_value());
}

TEST(Multiboot2Entry, RejectsMisplacedModules)
{
    struct Case {
        uint32_t start, end;
        const char* name;
        BootError::Kind kind;
        const char* message;
    };
    const Case cases[] = {
        { 0xF0000000, 0xF0100000, "beyond", BootError::Kind::ModuleOutsideUsableMemory,
            "boot module 'beyond' at 0xf0000000-0xf0100000 is not inside usable memory" },
        { 0x180000, 0x190000, "over", BootError::Kind::ModuleOverKernelImage,
            "boot module 'over' at 0x180000-0x190000 overlaps the kernel image" },
        { 0x300000 + 8, 0x301000, "info", BootError::Kind::ModuleOverBootInformation,
            "boot module 'info' at 0x300008-0x301000 overlaps the Multiboot2 information" },
    };
    for (const Case& misplaced : cases) {
        InfoBuilder builder;
        boot::BootInfo info = info_with_module(misplaced.start, misplaced.end, misplaced.name, builder);
        auto checked = boot::check_module_placement(info, kImage);
        ASSERT_FALSE(checked.has_value()) << misplaced.name;
        EXPECT_EQ(checked.error().kind, misplaced.kind) << misplaced.name;
        EXPECT_EQ(message_of(checked.error()), misplaced.message);
    }
}

TEST(BootInfo, CarriesItsPhysicalRangeAndUsableMemory)
{
    InfoBuilder builder;
    builder.standard_memory_map();
    auto parsed = boot::parse_multiboot2(builder.finish(), kAvailable);
    ASSERT_TRUE(parsed.has_value());
    boot::BootInfo info = parsed.value();
    info.physical_address = kInfoPhysical;
    EXPECT_EQ(info.physical_range().start, kInfoPhysical);
    EXPECT_EQ(info.physical_range().end, kInfoPhysical + builder.size());
    // 0x100000 + 0x7F00000: the reserved region above 4 GiB - 256 KiB is not usable.
    EXPECT_EQ(info.usable_top(), 0x8000000u);
    std::vector<uint64_t> ends;
    for (const boot::MemoryRegion& region : info.usable_regions())
        ends.push_back(region.base + region.length);
    EXPECT_EQ(ends, (std::vector<uint64_t> { 0x9F000, 0x8000000 }));
}

TEST(PhysicalRange, OverlapsNeedsASharedByte)
{
    boot::PhysicalRange range = { 0x1000, 0x2000 };
    EXPECT_TRUE(range.overlaps({ 0x1FFF, 0x3000 }));
    EXPECT_TRUE(range.overlaps({ 0x0, 0x1001 }));
    EXPECT_TRUE(range.overlaps({ 0x1800, 0x1900 }));
    EXPECT_FALSE(range.overlaps({ 0x2000, 0x3000 }));
    EXPECT_FALSE(range.overlaps({ 0x0, 0x1000 }));
}

} // namespace
