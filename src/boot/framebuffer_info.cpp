#include "boot/framebuffer_info.h"

#include "boot/multiboot2.h"

namespace boot {
namespace {

// One character cell of the console's font: anything smaller cannot hold
// a character, and the console would draw past it.
constexpr uint32_t kMinimumWidth = 8;
constexpr uint32_t kMinimumHeight = 16;

FramebufferOffer refuse(const char* problem)
{
    return { FramebufferStatus::Refused, {}, problem };
}

// A channel must be 8 bits wide and lie inside the pixel, apart from the
// others: what the console's colour packing assumes.
bool channels_are_sane(const FramebufferTagFields& tag)
{
    const ColourChannel channels[] = { tag.red, tag.green, tag.blue };
    uint32_t used = 0;
    for (const ColourChannel& channel : channels) {
        if (channel.size != 8 || channel.position + channel.size > tag.bits_per_pixel)
            return false;
        uint32_t bits = 0xFFu << channel.position;
        if ((used & bits) != 0)
            return false;
        used |= bits;
    }
    return true;
}

} // namespace

FramebufferOffer check_framebuffer(const FramebufferTagFields& tag, MemoryMapView memory_map)
{
    using multiboot2::FramebufferType;
    if (tag.repeated)
        return refuse("the loader sent two framebuffer tags");
    if (tag.tag_size < sizeof(multiboot2::FramebufferTag))
        return refuse("tag shorter than its fixed fields");
    if (tag.address == 0)
        return refuse("address is 0: the loader set no graphics mode");
    switch (static_cast<FramebufferType>(tag.type)) {
    case FramebufferType::EgaText:
        return refuse("EGA text mode, not a pixel framebuffer");
    case FramebufferType::IndexedColour:
        return refuse("indexed (palette) colour is not supported, only direct RGB");
    case FramebufferType::DirectRgb:
        break;
    default:
        return refuse("unknown framebuffer type");
    }
    if (tag.tag_size < sizeof(multiboot2::FramebufferTag) + sizeof(multiboot2::FramebufferRgbFields))
        return refuse("tag too short for its colour fields");
    if (tag.bits_per_pixel != 32)
        return refuse("not 32 bits per pixel");
    if (!channels_are_sane(tag))
        return refuse("colour channels are not 8 bits each inside the pixel");
    if (tag.width < kMinimumWidth || tag.height < kMinimumHeight)
        return refuse("smaller than one character cell (8x16)");
    if (tag.pitch % 4 != 0 || tag.pitch / 4 < tag.width)
        return refuse("pitch is shorter than a line of pixels or not whole pixels");

    // 32-bit fields: the product fits in 64 bits.
    uint64_t size = uint64_t { tag.pitch } * tag.height;
    if (size > kMaxFramebufferBytes)
        return refuse("larger than any framebuffer (over 256 MiB)");
    if (tag.address >= kPhysicalAddressLimit || kPhysicalAddressLimit - tag.address < size)
        return refuse("runs past the physical address space");
    if (memory_map.overlaps_usable(tag.address, tag.address + size))
        return refuse("overlaps usable memory");
    // Clearing it would wipe the ACPI tables (or bad memory) before they are
    // read: only a hole in the map or reserved memory can be video memory.
    if (memory_map.overlaps_type_other_than(MemoryType::Reserved, tag.address, tag.address + size))
        return refuse("overlaps ACPI or bad memory");

    Framebuffer framebuffer {
        .physical = tag.address,
        .size = size,
        .pitch = tag.pitch,
        .width = tag.width,
        .height = tag.height,
        .bits_per_pixel = tag.bits_per_pixel,
        .red = tag.red,
        .green = tag.green,
        .blue = tag.blue,
    };
    return { FramebufferStatus::Usable, framebuffer, nullptr };
}

} // namespace boot
