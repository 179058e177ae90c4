#include "boot/memory_map.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

using boot::MemoryRegion;
using boot::MemoryType;

constexpr MemoryType U = MemoryType::Usable;
constexpr MemoryType R = MemoryType::Reserved;
constexpr MemoryType A = MemoryType::AcpiReclaimable;
constexpr MemoryType D = MemoryType::Defective;

struct Mended {
    std::vector<MemoryRegion> regions;
    boot::MemoryMapRepairs repairs;
};

Mended mend(const std::vector<MemoryRegion>& in)
{
    Mended result;
    result.regions.resize(2 * in.size() + 1);
    size_t count = boot::normalize_memory_map(
        in.data(), in.size(), result.regions.data(), result.regions.size(), result.repairs);
    result.regions.resize(count);
    return result;
}

void expect_regions(const Mended& mended, const std::vector<MemoryRegion>& expected)
{
    ASSERT_EQ(mended.regions.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(mended.regions[i].base, expected[i].base) << i;
        EXPECT_EQ(mended.regions[i].length, expected[i].length) << i;
        EXPECT_EQ(mended.regions[i].type, expected[i].type) << i;
    }
}

TEST(MemoryMap, AGoodMapPassesThroughSorted)
{
    auto mended = mend({ { 0x100000, 0x100000, U }, { 0, 0x1000, U } });
    expect_regions(mended, { { 0, 0x1000, U }, { 0x100000, 0x100000, U } });
    EXPECT_FALSE(mended.repairs.any());
}

TEST(MemoryMap, ZeroLengthEntriesAreDropped)
{
    auto mended = mend({ { 0x1000, 0, U }, { 0x2000, 0x1000, R }, { 0x5000, 0, R } });
    expect_regions(mended, { { 0x2000, 0x1000, R } });
    EXPECT_EQ(mended.repairs.zero_length, 2u);
}

TEST(MemoryMap, ReservedWinsWhereItOverlapsUsable)
{
    auto mended = mend({ { 0x0, 0x10000, U }, { 0x4000, 0x2000, R } });
    expect_regions(mended, { { 0x0, 0x4000, U }, { 0x4000, 0x2000, R }, { 0x6000, 0xA000, U } });
    EXPECT_EQ(mended.repairs.overlaps, 1u);
}

TEST(MemoryMap, StricterTypeWinsAndSameTypesMerge)
{
    auto mended
        = mend({ { 0x0, 0x3000, U }, { 0x2000, 0x3000, U }, { 0x4000, 0x2000, A }, { 0x5000, 0x1000, D } });
    expect_regions(mended, { { 0x0, 0x4000, U }, { 0x4000, 0x1000, A }, { 0x5000, 0x1000, D } });
    EXPECT_EQ(mended.repairs.overlaps, 3u); // U+U, U+A and A+D each share a stretch
}

TEST(MemoryMap, UsableRegionsAreTrimmedToWholePages)
{
    auto mended = mend({ { 0x1010, 0x3000, U }, { 0x8000, 0x800, U }, { 0x20000, 0x10, R } });
    expect_regions(mended, { { 0x2000, 0x2000, U }, { 0x20000, 0x10, R } });
    EXPECT_EQ(mended.repairs.unaligned, 2u); // one trimmed, one gone entirely
}

TEST(MemoryMap, AnEndPastTheAddressSpaceIsCut)
{
    auto mended = mend({ { 0xFFFFFFFFFFFF0000, 0x20000, R } });
    ASSERT_EQ(mended.regions.size(), 1u);
    EXPECT_EQ(mended.regions[0].base + mended.regions[0].length, ~uint64_t(0));
    EXPECT_EQ(mended.repairs.wrapped, 1u);
}

TEST(MemoryMap, NeverMoreRegionsThanCapacity)
{
    std::vector<MemoryRegion> many;
    for (uint64_t i = 0; i < 100; ++i)
        many.push_back({ i * 0x2000, 0x1000, i % 2 ? U : R });
    MemoryRegion out[10];
    boot::MemoryMapRepairs repairs;
    EXPECT_LE(boot::normalize_memory_map(many.data(), many.size(), out, 10, repairs), 10u);
}

TEST(MemoryMap, TypeNames)
{
    EXPECT_STREQ(boot::memory_type_name(MemoryType::Usable), "usable");
    EXPECT_STREQ(boot::memory_type_name(MemoryType::AcpiNvs), "ACPI NVS");
    EXPECT_STREQ(boot::memory_type_name(static_cast<MemoryType>(77)), "reserved");
}

// The map the rest of the kernel reads: a hand-made mended map (sorted,
// disjoint) with usable regions between reserved ones, and expected
// figures summed by hand from it.
const std::vector<MemoryRegion> kMendedMap = {
    { 0x0, 0x9F000, U },
    { 0x9F000, 0x61000, R },
    { 0x100000, 0x700000, U },
    { 0x800000, 0x100000, A },
    { 0x900000, 0x200000, U },
    { 0xFFFC0000, 0x40000, R },
};

TEST(MemoryMapView, VisitsOnlyTheUsableRegionsInOrder)
{
    boot::MemoryMapView map(kMendedMap.data(), kMendedMap.size());
    std::vector<uint64_t> bases;
    for (const MemoryRegion& region : map.usable_regions()) {
        EXPECT_EQ(region.type, U);
        bases.push_back(region.base);
    }
    EXPECT_EQ(bases, (std::vector<uint64_t> { 0x0, 0x100000, 0x900000 }));

    // Non-usable regions at either end and only non-usable regions.
    std::vector<MemoryRegion> reserved_only = { { 0x0, 0x1000, R }, { 0x1000, 0x1000, D } };
    boot::MemoryMapView none(reserved_only.data(), reserved_only.size());
    EXPECT_EQ(none.usable_regions().begin(), none.usable_regions().end());
    boot::MemoryMapView empty(nullptr, 0);
    EXPECT_EQ(empty.usable_regions().begin(), empty.usable_regions().end());
}

TEST(MemoryMapView, UsableTopIsTheEndOfTheHighestUsableRegion)
{
    boot::MemoryMapView map(kMendedMap.data(), kMendedMap.size());
    EXPECT_EQ(map.usable_top(), 0xB00000u); // the reserved region above does not count
    std::vector<MemoryRegion> reserved_only = { { 0x0, 0x1000, R } };
    EXPECT_EQ(boot::MemoryMapView(reserved_only.data(), reserved_only.size()).usable_top(), 0u);
    EXPECT_EQ(boot::MemoryMapView(nullptr, 0).usable_top(), 0u);
}

TEST(MemoryMapView, UsableBytesSumsTheUsableRegions)
{
    boot::MemoryMapView map(kMendedMap.data(), kMendedMap.size());
    EXPECT_EQ(map.usable_bytes(), 0x9F000u + 0x700000u + 0x200000u);
    EXPECT_EQ(boot::MemoryMapView(nullptr, 0).usable_bytes(), 0u);
}

TEST(MemoryMapView, IsUsableNeedsEveryByteInUsableRegions)
{
    std::vector<MemoryRegion> adjacent
        = { { 0x100000, 0x100000, U }, { 0x200000, 0x100000, U }, { 0x300000, 0x1000, R } };
    boot::MemoryMapView map(adjacent.data(), adjacent.size());
    EXPECT_TRUE(map.is_usable(0x1FF000, 0x201000)); // across two adjacent usable regions
    EXPECT_TRUE(map.is_usable(0x500000, 0x500000)); // empty, even outside the map
    EXPECT_FALSE(map.is_usable(0xFF000, 0x101000)); // starts below the first region
    EXPECT_FALSE(map.is_usable(0x2FF000, 0x301000)); // into reserved
}

} // namespace
