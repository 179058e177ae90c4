#include "arch/x86_64/page_tables.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace {

using arch::PageRights;
using arch::PagingError;

// Physical memory for page tables: frame n at physical n * 4096.
class FakeMemory final : public arch::PageTableMemory {
public:
    explicit FakeMemory(size_t frames)
        : m_frames(new arch::PageTable[frames]())
        , m_capacity(frames)
    {
    }

    arch::PageTable& table_at(uint64_t physical) override { return m_frames[physical / 4096]; }
    bool allocate_table(uint64_t& physical) override
    {
        if (m_next == m_capacity)
            return false;
        physical = m_next++ * 4096;
        return true;
    }
    void invalidate(uint64_t virtual_address) override { invalidated.push_back(virtual_address); }

    uint64_t new_root()
    {
        uint64_t root = 0;
        allocate_table(root);
        return root;
    }
    size_t tables_used() const { return m_next - 1; }
    std::vector<uint64_t> invalidated;

private:
    std::unique_ptr<arch::PageTable[]> m_frames;
    size_t m_capacity;
    size_t m_next = 1; // frame 0 stays unused, as in the kernel
};

constexpr uint64_t kKernelBase = 0xFFFFFFFF80000000;
constexpr PageRights kReadWrite { true, false, false };
constexpr PageRights kReadExecute { false, true, false };
constexpr PageRights kReadOnly { false, false, false };

TEST(PageTables, MapTranslateUnmap)
{
    FakeMemory memory(64);
    arch::PageTables tables(memory.new_root(), memory, true);
    ASSERT_TRUE(tables.map(kKernelBase + 0x5000, 0x123000, kReadWrite).has_value());
    auto translation = tables.translate(kKernelBase + 0x5abc);
    ASSERT_TRUE(translation.has_value());
    EXPECT_EQ(translation.value().physical, 0x123abcu);
    EXPECT_EQ(translation.value().page_size, 4096u);
    EXPECT_TRUE(translation.value().rights.writable);
    EXPECT_FALSE(translation.value().rights.executable);
    EXPECT_EQ(memory.tables_used(), 4u); // PML4, PDPT, PD, PT

    EXPECT_EQ(tables.unmap(kKernelBase + 0x5000).value(), 0x123000u);
    EXPECT_EQ(tables.translate(kKernelBase + 0x5000).error(), PagingError::NotMapped);
    EXPECT_EQ(memory.invalidated.back(), kKernelBase + 0x5000);
}

TEST(PageTables, ProtectChangesRightsAndInvalidates)
{
    FakeMemory memory(64);
    arch::PageTables tables(memory.new_root(), memory, true);
    ASSERT_TRUE(tables.map(0x400000, 0x400000, kReadWrite).has_value());
    memory.invalidated.clear();
    ASSERT_TRUE(tables.protect(0x400000, kReadExecute).has_value());
    EXPECT_EQ(memory.invalidated, std::vector<uint64_t> { 0x400000 });
    auto rights = tables.translate(0x400000).value().rights;
    EXPECT_FALSE(rights.writable);
    EXPECT_TRUE(rights.executable);
    EXPECT_EQ(tables.protect(0x401000, kReadOnly).error(), PagingError::NotMapped);
}

TEST(PageTables, Errors)
{
    FakeMemory memory(64);
    arch::PageTables tables(memory.new_root(), memory, true);
    EXPECT_EQ(tables.map(0x1001, 0x1000, kReadWrite).error(), PagingError::NotAligned);
    EXPECT_EQ(tables.map(0x0000800000000000, 0x1000, kReadWrite).error(), PagingError::NonCanonical);
    // Bit 52 and up of a physical address would become NX or key bits.
    EXPECT_EQ(tables.map(0x5000, uint64_t { 1 } << 52, kReadWrite).error(), PagingError::PhysicalOutOfRange);
    EXPECT_EQ(tables.map_large(0x400000, uint64_t { 1 } << 63, kReadWrite).error(),
        PagingError::PhysicalOutOfRange);
    EXPECT_FALSE(tables.translate(0x5000).has_value()) << "nothing mapped on the way";
    ASSERT_TRUE(tables.map(0x1000, 0x1000, kReadWrite).has_value());
    EXPECT_EQ(tables.map(0x1000, 0x2000, kReadWrite).error(), PagingError::AlreadyMapped);
    EXPECT_EQ(tables.unmap(0x2000).error(), PagingError::NotMapped);
    ASSERT_TRUE(tables.map_large(0x200000, 0x200000, kReadWrite).has_value());
    EXPECT_EQ(tables.map(0x201000, 0x1000, kReadWrite).error(), PagingError::InsideLargePage);
    EXPECT_EQ(tables.map_large(0x300000, 0x200000, kReadWrite).error(), PagingError::NotAligned);
    EXPECT_STREQ(arch::describe(PagingError::InsideLargePage), "address lies inside a 2 MiB page");
}

TEST(PageTables, LargePagesTranslateWithTheirOffset)
{
    FakeMemory memory(64);
    arch::PageTables tables(memory.new_root(), memory, true);
    ASSERT_TRUE(tables.map_large(0xFFFF800000200000, 0x200000, kReadWrite).has_value());
    auto translation = tables.translate(0xFFFF800000212345).value();
    EXPECT_EQ(translation.physical, 0x212345u);
    EXPECT_EQ(translation.page_size, 2u * 1024 * 1024);
}

TEST(PageTables, RunningOutOfTableFramesIsAnError)
{
    FakeMemory memory(3); // room for the root and two more tables
    arch::PageTables tables(memory.new_root(), memory, true);
    EXPECT_EQ(tables.map(0x1000, 0x1000, kReadWrite).error(), PagingError::OutOfTables);
}

TEST(PageTables, AuditCountsWritableExecutablePages)
{
    FakeMemory memory(64);
    arch::PageTables tables(memory.new_root(), memory, true);
    ASSERT_TRUE(tables.map(0x1000, 0x1000, kReadExecute).has_value());
    ASSERT_TRUE(tables.map(0x2000, 0x2000, kReadWrite).has_value());
    ASSERT_TRUE(tables.map_large(0x200000, 0x200000, kReadWrite).has_value());
    EXPECT_EQ(tables.audit().mapped_pages, 2u + 512);
    EXPECT_EQ(tables.audit().writable_executable_pages, 0u);
    ASSERT_TRUE(tables.map(0x3000, 0x3000, PageRights { true, true, false }).has_value());
    ASSERT_TRUE(tables.map_large(0x400000, 0x400000, PageRights { true, true, false }).has_value());
    EXPECT_EQ(tables.audit().writable_executable_pages, 1u + 512);
}

TEST(PageTables, AuditCountsEveryTableFrameTheMemoryHandedOut)
{
    FakeMemory memory(64);
    arch::PageTables tables(memory.new_root(), memory, true);
    EXPECT_EQ(tables.audit().table_frames, 1u); // the root alone
    ASSERT_TRUE(tables.map(0x1000, 0x1000, kReadWrite).has_value());
    ASSERT_TRUE(tables.map(0x2000, 0x2000, kReadWrite).has_value()); // same tables
    ASSERT_TRUE(tables.map_large(0x40000000, 0x200000, kReadWrite).has_value()); // a new PD
    ASSERT_TRUE(tables.map(kKernelBase, 0x3000, kReadExecute).has_value()); // PDPT, PD, PT
    EXPECT_EQ(memory.tables_used(), 8u); // the root counted
    EXPECT_EQ(tables.audit().table_frames, memory.tables_used());
}

TEST(PageTables, WithoutNxEverythingIsExecutable)
{
    FakeMemory memory(64);
    arch::PageTables tables(memory.new_root(), memory, false);
    ASSERT_TRUE(tables.map(0x1000, 0x1000, kReadWrite).has_value());
    EXPECT_TRUE(tables.translate(0x1000).value().rights.executable);
    EXPECT_EQ(tables.audit().writable_executable_pages, 1u);
}

} // namespace
