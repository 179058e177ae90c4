// libFuzzer target for the Multiboot2 parser (built with clang by
// test/host/meson.build, run for a bounded time by ci/test.sh). Any input
// either is rejected with a reason or yields a BootInfo whose invariants
// hold; anything else, or a sanitizer report, is a finding.

#include <cstdint>
#include <cstring>
#include <vector>

#include "boot/boot_info.h"

namespace {

void check(bool condition)
{
    if (!condition)
        __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // Loaders hand over 8-byte aligned structures; copy into aligned storage
    // of exactly the input's size (ASan catches any read past it).
    std::vector<uint64_t> storage((size + 7) / 8);
    if (size > 0)
        std::memcpy(storage.data(), data, size);
    const auto* bytes = reinterpret_cast<const uint8_t*>(storage.data());
    auto parsed = boot::parse_multiboot2(size > 0 ? bytes : reinterpret_cast<const uint8_t*>(&storage), size);
    if (!parsed.has_value()) {
        check(parsed.error().reason != nullptr && parsed.error().field != nullptr);
        return 0;
    }
    const boot::BootInfo& info = parsed.value();
    check(info.total_size <= size);
    check(info.memory_region_count <= boot::BootInfo::kMaxMemoryRegions);
    for (size_t i = 0; i < info.memory_region_count; ++i) {
        const boot::MemoryRegion& region = info.memory_regions[i];
        check(region.length > 0);
        if (region.type == boot::MemoryType::Usable)
            check(region.base % 4096 == 0 && region.length % 4096 == 0);
        if (i > 0) {
            const boot::MemoryRegion& previous = info.memory_regions[i - 1];
            check(previous.base + previous.length <= region.base); // sorted and disjoint
        }
    }
    // Strings point inside the structure and end at their length.
    for (lib::StringView text : { info.command_line, info.bootloader_name }) {
        if (text.empty())
            continue;
        check(text.data() >= reinterpret_cast<const char*>(bytes)
            && text.data() + text.size() < reinterpret_cast<const char*>(bytes) + info.total_size);
        check(text.data()[text.size()] == '\0');
    }
    return 0;
}
