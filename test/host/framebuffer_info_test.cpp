// check_framebuffer (src/boot/framebuffer_info.h): what a framebuffer tag
// must say before the screen console draws on it, each lie refused with
// its reason; and the parser's part (tag fields read, never fatal).

#include "boot/boot_info.h"
#include "boot/framebuffer_info.h"
#include "boot/multiboot2.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

using boot::FramebufferStatus;
using boot::FramebufferTagFields;
using boot::MemoryRegion;
using boot::MemoryType;

constexpr uint32_t kFullTagSize = 38; // fixed fields and the RGB fields

// QEMU's standard VGA under SeaBIOS: 800x600x32 at 0xFD000000, BGRX.
FramebufferTagFields good_tag()
{
    FramebufferTagFields tag {};
    tag.tag_size = kFullTagSize;
    tag.address = 0xFD000000;
    tag.pitch = 3200;
    tag.width = 800;
    tag.height = 600;
    tag.bits_per_pixel = 32;
    tag.type = static_cast<uint8_t>(boot::multiboot2::FramebufferType::DirectRgb);
    tag.red = { 16, 8 };
    tag.green = { 8, 8 };
    tag.blue = { 0, 8 };
    return tag;
}

// 128 MiB of RAM as QEMU lays it out, usable below 640 KiB and from 1 MiB.
const MemoryRegion kMemory[] = {
    { 0, 0x9F000, MemoryType::Usable },
    { 0x100000, 0x7F00000, MemoryType::Usable },
    { 0x8000000, 0x20000, MemoryType::AcpiReclaimable },
    { 0xFFFC0000, 0x40000, MemoryType::Reserved },
};
const boot::MemoryMapView kMap(kMemory, 4);

std::string problem_of(const FramebufferTagFields& tag)
{
    boot::FramebufferOffer offer = boot::check_framebuffer(tag, kMap);
    if (offer.status == FramebufferStatus::Usable)
        return "(usable)";
    EXPECT_EQ(offer.status, FramebufferStatus::Refused);
    return offer.problem;
}

TEST(FramebufferInfo, AcceptsWhatQemuAndGrubHandOver)
{
    boot::FramebufferOffer offer = boot::check_framebuffer(good_tag(), kMap);
    ASSERT_EQ(offer.status, FramebufferStatus::Usable) << offer.problem;
    EXPECT_EQ(offer.framebuffer.physical, 0xFD000000u);
    EXPECT_EQ(offer.framebuffer.size, 3200u * 600);
    EXPECT_EQ(offer.framebuffer.width, 800u);
    EXPECT_EQ(offer.framebuffer.height, 600u);
    EXPECT_EQ(offer.framebuffer.red.position, 16);
    EXPECT_EQ(offer.framebuffer.blue.position, 0);
}

TEST(FramebufferInfo, AcceptsOneCellAndReservedMemory)
{
    FramebufferTagFields tag = good_tag();
    tag.width = 8;
    tag.height = 16;
    tag.pitch = 32;
    EXPECT_EQ(problem_of(tag), "(usable)");
    tag.address = 0xFFFC0000; // reserved in the map: firmware may put it there
    EXPECT_EQ(problem_of(tag), "(usable)");
}

TEST(FramebufferInfo, AcceptsAPitchWiderThanTheLine)
{
    FramebufferTagFields tag = good_tag();
    tag.pitch = 4096;
    EXPECT_EQ(problem_of(tag), "(usable)");
}

TEST(FramebufferInfo, RefusesEachLieWithItsReason)
{
    struct Case {
        const char* what;
        void (*lie)(FramebufferTagFields&);
        const char* problem;
    };
    const Case cases[] = {
        { "two tags", [](FramebufferTagFields& t) { t.repeated = true; },
            "the loader sent two framebuffer tags" },
        { "short tag", [](FramebufferTagFields& t) { t.tag_size = 31; },
            "tag shorter than its fixed fields" },
        { "no RGB fields", [](FramebufferTagFields& t) { t.tag_size = 32; },
            "tag too short for its colour fields" },
        { "address 0", [](FramebufferTagFields& t) { t.address = 0; },
            "address is 0: the loader set no graphics mode" },
        { "EGA text", [](FramebufferTagFields& t) { t.type = 2; }, "EGA text mode, not a pixel framebuffer" },
        { "palette", [](FramebufferTagFields& t) { t.type = 0; },
            "indexed (palette) colour is not supported, only direct RGB" },
        { "type 7", [](FramebufferTagFields& t) { t.type = 7; }, "unknown framebuffer type" },
        { "24 bpp", [](FramebufferTagFields& t) { t.bits_per_pixel = 24; }, "not 32 bits per pixel" },
        { "5-bit red",
            [](FramebufferTagFields& t) {
                t.red = { 16, 5 };
            },
            "colour channels are not 8 bits each inside the pixel" },
        { "channel outside",
            [](FramebufferTagFields& t) {
                t.red = { 28, 8 };
            },
            "colour channels are not 8 bits each inside the pixel" },
        { "channels overlap",
            [](FramebufferTagFields& t) {
                t.green = { 4, 8 };
            },
            "colour channels are not 8 bits each inside the pixel" },
        { "width 0", [](FramebufferTagFields& t) { t.width = 0; }, "smaller than one character cell (8x16)" },
        { "height 0", [](FramebufferTagFields& t) { t.height = 0; },
            "smaller than one character cell (8x16)" },
        { "width 7", [](FramebufferTagFields& t) { t.width = 7; }, "smaller than one character cell (8x16)" },
        { "height 15", [](FramebufferTagFields& t) { t.height = 15; },
            "smaller than one character cell (8x16)" },
        { "over ACPI tables", [](FramebufferTagFields& t) { t.address = 0x8000000; },
            "overlaps ACPI or bad memory" },
        { "pitch short", [](FramebufferTagFields& t) { t.pitch = 3196; },
            "pitch is shorter than a line of pixels or not whole pixels" },
        { "pitch odd", [](FramebufferTagFields& t) { t.pitch = 3202; },
            "pitch is shorter than a line of pixels or not whole pixels" },
        { "huge", [](FramebufferTagFields& t) { t.pitch = 0xFFFFFFFC, t.height = 0xFFFFFFFF; },
            "larger than any framebuffer (over 256 MiB)" },
        { "past 2^52", [](FramebufferTagFields& t) { t.address = (uint64_t { 1 } << 52) - 4096; },
            "runs past the physical address space" },
        { "wraps", [](FramebufferTagFields& t) { t.address = ~uint64_t { 0 } - 4095; },
            "runs past the physical address space" },
        { "over RAM", [](FramebufferTagFields& t) { t.address = 0x200000; }, "overlaps usable memory" },
        { "ends in RAM", [](FramebufferTagFields& t) { t.address = 0x100000 - 4096; },
            "overlaps usable memory" },
    };
    for (const Case& c : cases) {
        FramebufferTagFields tag = good_tag();
        c.lie(tag);
        EXPECT_EQ(problem_of(tag), c.problem) << c.what;
    }
}

// The parser reads the tag and hands it to the check; a lying tag costs the
// screen, never the boot.
std::vector<uint8_t> structure_with_framebuffer(
    const std::vector<uint8_t>& framebuffer_payload, int copies = 1)
{
    std::vector<uint8_t> bytes(8, 0);
    auto put32 = [&](uint32_t value) {
        uint8_t raw[4];
        std::memcpy(raw, &value, 4);
        bytes.insert(bytes.end(), raw, raw + 4);
    };
    auto pad = [&] {
        while (bytes.size() % 8 != 0)
            bytes.push_back(0);
    };
    put32(6), put32(16 + 2 * 24), put32(24), put32(0); // memory map: 2 entries
    for (auto [base, length] : { std::pair<uint64_t, uint64_t> { 0, 0x9F000 }, { 0x100000, 0x7F00000 } }) {
        uint8_t entry[24] = {};
        std::memcpy(entry, &base, 8);
        std::memcpy(entry + 8, &length, 8);
        entry[16] = 1;
        bytes.insert(bytes.end(), entry, entry + 24);
    }
    for (int i = 0; i < copies; ++i) {
        pad();
        put32(8), put32(static_cast<uint32_t>(8 + framebuffer_payload.size()));
        bytes.insert(bytes.end(), framebuffer_payload.begin(), framebuffer_payload.end());
    }
    pad();
    put32(0), put32(8);
    uint32_t total = static_cast<uint32_t>(bytes.size());
    std::memcpy(bytes.data(), &total, 4);
    return bytes;
}

std::vector<uint8_t> framebuffer_payload(uint64_t address, uint32_t pitch, uint32_t width, uint32_t height)
{
    std::vector<uint8_t> payload(30, 0);
    std::memcpy(payload.data(), &address, 8);
    std::memcpy(payload.data() + 8, &pitch, 4);
    std::memcpy(payload.data() + 12, &width, 4);
    std::memcpy(payload.data() + 16, &height, 4);
    payload[20] = 32; // bpp
    payload[21] = 1; // direct RGB
    const uint8_t rgb[6] = { 16, 8, 8, 8, 0, 8 };
    std::memcpy(payload.data() + 24, rgb, 6);
    return payload;
}

boot::BootInfo parse(const std::vector<uint8_t>& bytes)
{
    std::vector<uint64_t> aligned((bytes.size() + 7) / 8);
    std::memcpy(aligned.data(), bytes.data(), bytes.size());
    auto parsed = boot::parse_multiboot2(reinterpret_cast<const uint8_t*>(aligned.data()), bytes.size());
    EXPECT_TRUE(parsed.has_value()) << (parsed.has_value() ? "" : parsed.error().reason);
    return parsed.has_value() ? parsed.value() : boot::BootInfo {};
}

TEST(FramebufferInfo, TheParserReadsTheTagsFields)
{
    boot::BootInfo info = parse(structure_with_framebuffer(framebuffer_payload(0xFD000000, 3200, 800, 600)));
    ASSERT_EQ(info.framebuffer.status, FramebufferStatus::Usable) << info.framebuffer.problem;
    EXPECT_EQ(info.framebuffer.framebuffer.pitch, 3200u);
    EXPECT_EQ(info.framebuffer.framebuffer.green.position, 8);
}

TEST(FramebufferInfo, NoTagIsNoFramebuffer)
{
    boot::BootInfo info = parse(structure_with_framebuffer({}, 0));
    EXPECT_EQ(info.framebuffer.status, FramebufferStatus::Absent);
}

TEST(FramebufferInfo, ABadTagIsRefusedAndTheStructureStillBoots)
{
    boot::BootInfo over_ram
        = parse(structure_with_framebuffer(framebuffer_payload(0x200000, 3200, 800, 600)));
    EXPECT_EQ(std::string(over_ram.framebuffer.problem), "overlaps usable memory");
    boot::BootInfo cut = parse(structure_with_framebuffer(std::vector<uint8_t>(12, 0xFF)));
    EXPECT_EQ(std::string(cut.framebuffer.problem), "tag shorter than its fixed fields");
    boot::BootInfo twice
        = parse(structure_with_framebuffer(framebuffer_payload(0xFD000000, 3200, 800, 600), 2));
    EXPECT_EQ(std::string(twice.framebuffer.problem), "the loader sent two framebuffer tags");
}

} // namespace
