#pragma once

// The framebuffer the boot loader set up (Multiboot2 tag 8), checked before
// the kernel draws on it: a tag that lies about its pitch, its depth or
// where it is would otherwise have the console scribble over memory. Pure:
// the checks run in the host tests as well.

#include <stdint.h>

#include "boot/memory_map.h"

namespace boot {

// One colour channel of a direct-colour pixel: its lowest bit and width.
struct ColourChannel {
    uint8_t position;
    uint8_t size;
};

struct Framebuffer {
    uint64_t physical; // first byte
    uint64_t size; // pitch * height
    uint32_t pitch; // bytes per line
    uint32_t width; // pixels
    uint32_t height;
    uint8_t bits_per_pixel;
    ColourChannel red;
    ColourChannel green;
    ColourChannel blue;
};

// The tag's fields as the loader wrote them, before any check; those the
// tag is too short to hold are 0.
struct FramebufferTagFields {
    uint32_t tag_size; // as the tag header says, header included
    bool repeated; // the loader sent more than one framebuffer tag
    uint64_t address;
    uint32_t pitch;
    uint32_t width;
    uint32_t height;
    uint8_t bits_per_pixel;
    uint8_t type; // multiboot2::FramebufferType
    ColourChannel red;
    ColourChannel green;
    ColourChannel blue;
};

enum class FramebufferStatus : uint8_t {
    Absent, // no tag: the loader (or the machine) has no graphics
    Usable,
    Refused, // a tag the console cannot or must not use, and why
};

struct FramebufferOffer {
    FramebufferStatus status = FramebufferStatus::Absent;
    Framebuffer framebuffer {};
    const char* problem = nullptr; // when Refused
};

// Limits a plausible framebuffer stays within: the largest mode any loader
// sets (8K at 32 bits is 128 MiB) and the 52-bit physical address space.
inline constexpr uint64_t kMaxFramebufferBytes = uint64_t { 256 } << 20;
inline constexpr uint64_t kPhysicalAddressLimit = uint64_t { 1 } << 52;

// Accepts 32-bit direct colour with 8-bit channels, whose bytes lie outside
// usable memory (where the frame allocator would hand them out) and below the
// physical address limit; the problem otherwise, in words.
FramebufferOffer check_framebuffer(const FramebufferTagFields& tag, MemoryMapView memory_map);

} // namespace boot
