#include "mm/frame_allocator.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

namespace {

using boot::MemoryRegion;
using boot::MemoryType;

const std::vector<MemoryRegion> kMap = {
    { 0x0, 0x9F000, MemoryType::Usable }, { 0x9F000, 0x61000, MemoryType::Reserved },
    { 0x100000, 0x700000, MemoryType::Usable }, // 1 MiB .. 8 MiB
    { 0x800000, 0x100000, MemoryType::AcpiNvs },
    { 0x900000, 0x200000, MemoryType::Usable }, // 9 MiB .. 11 MiB
};

struct Fixture {
    std::vector<uint64_t> storage;
    mm::FrameAllocator allocator;

    explicit Fixture(const std::vector<mm::FrameRange>& carve_outs = {})
    {
        boot::MemoryMapView map(kMap.data(), kMap.size());
        storage.resize(mm::FrameAllocator::bitmap_bytes(map) / 8);
        allocator.init(map, storage.data(), carve_outs.data(), carve_outs.size());
    }
};

TEST(FrameAllocator, StatisticsFromTheMap)
{
    Fixture fixture;
    const mm::FrameStatistics& statistics = fixture.allocator.statistics();
    EXPECT_EQ(statistics.total, 0xB00000u / 4096);
    // 0x9F frames below 640 KiB less frame 0, 0x700 from 1 MiB, 0x200 from 9 MiB.
    EXPECT_EQ(statistics.usable, 0x9Fu - 1 + 0x700 + 0x200);
    EXPECT_EQ(statistics.free, statistics.usable);
    EXPECT_EQ(statistics.used, 0u);
}

TEST(FrameAllocator, NeverFrameZeroNeverReservedNeverTwice)
{
    Fixture fixture({ { 0x100000, 0x300000, "kernel" }, { 0x9FF800, 0x1000, "boot info" } });
    std::set<uint64_t> seen;
    for (;;) {
        auto frame = fixture.allocator.allocate();
        if (!frame.has_value()) {
            EXPECT_EQ(frame.error(), mm::FrameError::OutOfMemory);
            break;
        }
        uint64_t address = frame.value();
        EXPECT_NE(address, 0u);
        EXPECT_EQ(address % 4096, 0u);
        EXPECT_TRUE(seen.insert(address).second) << "handed out twice: " << address;
        EXPECT_FALSE(address >= 0x9F000 && address < 0x100000) << "reserved";
        EXPECT_FALSE(address >= 0x800000 && address < 0x900000) << "ACPI NVS";
        EXPECT_FALSE(address >= 0x100000 && address < 0x400000) << "carved out: kernel";
        EXPECT_FALSE(address >= 0x9FF000 && address < 0xA01000)
            << "carved out: boot info, every frame it touches";
    }
    const mm::FrameStatistics& statistics = fixture.allocator.statistics();
    EXPECT_EQ(seen.size(), statistics.usable);
    EXPECT_EQ(statistics.free, 0u);
    EXPECT_EQ(statistics.used, statistics.usable);
}

TEST(FrameAllocator, BadFreesAreErrorsThatSayWhich)
{
    Fixture fixture;
    uint64_t frame = fixture.allocator.allocate().value();
    EXPECT_TRUE(fixture.allocator.free(frame).has_value());
    EXPECT_EQ(fixture.allocator.free(frame).error(), mm::FrameError::DoubleFree);
    EXPECT_EQ(fixture.allocator.free(frame + 8).error(), mm::FrameError::NotAligned);
    EXPECT_EQ(fixture.allocator.free(0x9F000).error(), mm::FrameError::OutOfRange);
    EXPECT_EQ(fixture.allocator.free(0).error(), mm::FrameError::OutOfRange);
    EXPECT_EQ(fixture.allocator.free(0x40000000).error(), mm::FrameError::OutOfRange);
    EXPECT_STREQ(mm::describe(mm::FrameError::DoubleFree), "frame is already free (double free)");
}

TEST(FrameAllocator, RandomAllocateAndFreeKeepsEveryInvariant)
{
    Fixture fixture;
    std::mt19937_64 random(42);
    std::vector<uint64_t> held;
    for (int step = 0; step < 200000; ++step) {
        if (held.empty() || random() % 3 != 0) {
            auto frame = fixture.allocator.allocate();
            if (frame.has_value()) {
                ASSERT_TRUE(fixture.allocator.is_usable(frame.value()));
                held.push_back(frame.value());
            }
        } else {
            size_t index = random() % held.size();
            ASSERT_TRUE(fixture.allocator.free(held[index]).has_value());
            held[index] = held.back();
            held.pop_back();
        }
        const mm::FrameStatistics& statistics = fixture.allocator.statistics();
        ASSERT_EQ(statistics.used, held.size());
        ASSERT_EQ(statistics.free + statistics.used, statistics.usable);
    }
    std::set<uint64_t> unique(held.begin(), held.end());
    EXPECT_EQ(unique.size(), held.size());
}

// Random maps and carve-outs with edges at every bit position: the
// allocator's usable set is exactly the model's, frame by frame (init fills
// whole bitmap words at once, and the partial words at each end are where
// it could go wrong).
TEST(FrameAllocator, UsableFramesAreExactlyTheUsableRegionsLessCarveOutsOnRandomMaps)
{
    std::mt19937_64 random(7);
    for (int round = 0; round < 300; ++round) {
        std::vector<MemoryRegion> map;
        uint64_t frame = random() % 3;
        while (map.size() < 8) {
            uint64_t length = 1 + random() % 200;
            map.push_back(
                { frame * 4096, length * 4096, random() % 3 ? MemoryType::Usable : MemoryType::Reserved });
            frame += length + random() % 70;
        }
        boot::MemoryMapView view(map.data(), map.size());
        uint64_t frames = view.usable_top() / 4096;
        std::vector<mm::FrameRange> carve_outs;
        for (int i = 0; i < 4; ++i) {
            uint64_t base = random() % (frames * 4096 + 8192);
            carve_outs.push_back({ base, random() % (100 * 4096), "carve-out" });
        }
        std::vector<bool> model(frames, false);
        for (const MemoryRegion& region : map) {
            if (region.type != MemoryType::Usable)
                continue;
            for (uint64_t f = region.base / 4096; f < (region.base + region.length) / 4096 && f < frames; ++f)
                model[f] = true;
        }
        for (const mm::FrameRange& carve_out : carve_outs) {
            for (uint64_t f = carve_out.base / 4096; f < (carve_out.base + carve_out.length + 4095) / 4096;
                 ++f)
                if (f < frames)
                    model[f] = false;
        }
        if (frames > 0)
            model[0] = false;

        std::vector<uint64_t> storage(mm::FrameAllocator::bitmap_bytes(view) / 8 + 1, ~0ull);
        mm::FrameAllocator allocator;
        allocator.init(view, storage.data(), carve_outs.data(), carve_outs.size());
        uint64_t usable = 0;
        for (uint64_t f = 0; f < frames + 70; ++f) {
            bool expected = f < frames && model[f];
            ASSERT_EQ(allocator.is_usable(f * 4096), expected) << "round " << round << " frame " << f;
            usable += expected;
        }
        ASSERT_EQ(allocator.statistics().usable, usable) << "round " << round;
        // The storage past the two bitmaps is not written.
        ASSERT_EQ(storage.back(), ~0ull) << "round " << round;
    }
}

} // namespace
