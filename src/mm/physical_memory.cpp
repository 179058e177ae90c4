#include "mm/physical_memory.h"

#include "arch/ap_startup.h"
#include "kernel/image_layout.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "mm/direct_map.h"
#include "sync/spinlock.h"

namespace mm {
namespace {

using kernel::log;
using kernel::LogTag;

constexpr uint64_t kLowMemoryEnd = 0x100000; // the first 1 MiB: BIOS data, EBDA, option ROMs

sync::Locked<FrameAllocator> g_frames;

bool overlaps(uint64_t base, uint64_t length, const FrameRange& range)
{
    return base < range.base + range.length && range.base < base + length;
}

// A stretch of usable memory for the bitmaps: inside one usable region,
// inside the early direct map, clear of every carve-out.
uint64_t place_bitmaps(const boot::BootInfo& info, uint64_t size, const FrameRange* carve_outs, size_t count)
{
    for (const boot::MemoryRegion& region : info.usable_regions()) {
        // Candidates: the region's start and the end of each carve-out.
        for (size_t c = 0; c <= count; ++c) {
            uint64_t base = c == count ? region.base : carve_outs[c].base + carve_outs[c].length;
            base = (base + kFrameSize - 1) & ~(kFrameSize - 1);
            if (base < region.base || base + size > region.base + region.length
                || base + size > kEarlyDirectMapSize)
                continue;
            bool clear = true;
            for (size_t other = 0; other < count && clear; ++other)
                clear = !overlaps(base, size, carve_outs[other]);
            if (clear)
                return base;
        }
    }
    PANIC("no usable memory below 4 GiB for the frame bitmaps ({} bytes)", size);
}

} // namespace

void init_physical_memory(const boot::BootInfo& info)
{
    if (info.usable_bytes() == 0)
        PANIC("no region of the memory map is usable ({} in all)", info.memory_region_count);
    constexpr size_t kMaxCarveOuts = 5 + boot::BootInfo::kMaxModules;
    FrameRange carve_outs[kMaxCarveOuts];
    size_t count = 0;
    // read_multiboot2 checked that modules lie in usable memory clear of
    // the image and the structure.
    uint64_t image_start = kernel::loaded_image_physical_start();
    carve_outs[count++] = { 0, kLowMemoryEnd, "first 1 MiB" };
    // Inside the first MiB today; named on its own so that it stays out
    // should the low carve-out ever shrink (the APs start on it).
    carve_outs[count++] = { arch::kApTrampolinePhysical, kFrameSize, "AP trampoline" };
    carve_outs[count++]
        = { image_start, kernel::kernel_image().physical_end() - image_start, "kernel image" };
    carve_outs[count++] = { info.physical_address, info.total_size, "Multiboot2 information" };
    for (size_t i = 0; i < info.module_count; ++i)
        carve_outs[count++]
            = { info.modules[i].start, info.modules[i].end - info.modules[i].start, "module" };

    uint64_t bitmap_size = FrameAllocator::bitmap_bytes(info.memory_map());
    uint64_t bitmap_physical = place_bitmaps(info, bitmap_size, carve_outs, count);
    carve_outs[count++] = { bitmap_physical, bitmap_size, "frame bitmaps" };

    g_frames.with([&](FrameAllocator& frames) {
        frames.init(info.memory_map(), physical_to_virtual<uint64_t>(bitmap_physical), carve_outs, count);
    });
    log(LogTag::Mem, "frame bitmaps: {} bytes at physical {:#x}", bitmap_size, bitmap_physical);
}

void log_physical_memory()
{
    FrameStatistics statistics = frame_statistics();
    log(LogTag::Mem,
        "Physical: {} usable, {} free, {} used frames of 4 KiB ({} MiB usable, {} frames up to the top)",
        statistics.usable, statistics.free, statistics.used, statistics.usable * kFrameSize >> 20,
        statistics.total);
}

lib::Result<uint64_t, FrameError> allocate_frame()
{
    return g_frames.with([](FrameAllocator& frames) { return frames.allocate(); });
}

bool allocate_frames(uint64_t* frames, size_t count)
{
    return g_frames.with([&](FrameAllocator& allocator) {
        for (size_t i = 0; i < count; ++i) {
            auto frame = allocator.allocate();
            if (frame) {
                frames[i] = frame.value();
                continue;
            }
            while (i > 0) {
                auto freed = allocator.free(frames[--i]);
                if (!freed)
                    PANIC("freeing frame {:#x} just allocated: {}", frames[i], describe(freed.error()));
            }
            return false;
        }
        return true;
    });
}

void free_frame(uint64_t physical)
{
    auto freed = g_frames.with([physical](FrameAllocator& frames) { return frames.free(physical); });
    if (!freed)
        PANIC("freeing frame {:#x}: {}", physical, describe(freed.error()));
}

bool frame_may_be_handed_out(uint64_t physical)
{
    return g_frames.with([physical](FrameAllocator& frames) { return frames.is_usable(physical); });
}

FrameStatistics frame_statistics()
{
    return g_frames.with([](FrameAllocator& frames) { return frames.statistics(); });
}

} // namespace mm
