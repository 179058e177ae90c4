// Kernel tests of the live page tables: the rights the boot audit promises,
// and map, translate and unmap on the tables the CPU is using. What only NX
// can give (a page that is not executable) is tested apart, and skipped on
// a CPU without NX, where every mapped page is executable.

#include <stdint.h>

#include "arch/fault_triggers.h"
#include "arch/page_size.h"
#include "arch/paging.h"
#include "kernel/image_layout.h"
#include "ktest/ktest.h"
#include "ktest/owners.h"
#include "mm/direct_map.h"
#include "mm/physical_memory.h"

namespace arch {
namespace {

// A page of addresses nothing else uses (PML4 slot 388).
constexpr uint64_t kScratchPage = 0xFFFFC20000000000;

volatile uint64_t g_data_word = 1;

constexpr const char* kNoNx = "the CPU has no NX (EFER.NXE is off): every mapped page is executable";

uint64_t address_of(const volatile void* pointer)
{
    return reinterpret_cast<uint64_t>(pointer);
}

// A frame mapped at kScratchPage for the test's length: unmapped and
// freed on every way out.
class ScratchMapping {
public:
    ScratchMapping()
        : m_frames(&m_frame, 1)
    {
        m_mapped = m_frames.allocate() && map_kernel_data_page(kScratchPage, m_frame);
    }
    ~ScratchMapping()
    {
        if (m_mapped)
            unmap();
    }
    ScratchMapping(const ScratchMapping&) = delete;
    ScratchMapping& operator=(const ScratchMapping&) = delete;

    bool mapped() const { return m_mapped; }
    uint64_t physical() const { return m_frame; }
    // Returns the frame the tables mapped there.
    uint64_t unmap()
    {
        m_mapped = false;
        return unmap_kernel_page(kScratchPage);
    }

private:
    uint64_t m_frame = 0;
    ktest::OwnedFrames m_frames;
    bool m_mapped = false;
};

} // namespace

KTEST(paging, no_page_is_writable_and_executable)
{
    if (!no_execute_enforced())
        KSKIP(kNoNx);
    KEXPECT_EQ(count_writable_executable_pages(), 0u);
}

KTEST(paging, nothing_but_text_is_executable)
{
    if (!no_execute_enforced())
        KSKIP(kNoNx);
    KEXPECT_FALSE(
        look_up_kernel_address(reinterpret_cast<uint64_t>(kernel::rodata_section().start)).executable);
    KEXPECT_FALSE(look_up_kernel_address(address_of(&g_data_word)).executable);
    kernel::ImageRange sealed = kernel::ro_after_init_section();
    for (const uint8_t* page = sealed.start; page < sealed.end; page += kPageSize)
        KEXPECT_FALSE(look_up_kernel_address(reinterpret_cast<uint64_t>(page)).executable);
    KEXPECT_FALSE(look_up_kernel_address(mm::kDirectMapBase + 0x200000).executable);
    ScratchMapping scratch;
    KASSERT_TRUE(scratch.mapped());
    KEXPECT_FALSE(look_up_kernel_address(kScratchPage).executable);
}

KTEST(paging, image_sections_have_their_rights)
{
    KernelMapping text = look_up_kernel_address(reinterpret_cast<uint64_t>(&count_writable_executable_pages));
    KASSERT_TRUE(text.mapped);
    KEXPECT_FALSE(text.writable);
    KEXPECT_TRUE(text.executable);
    KernelMapping rodata = look_up_kernel_address(reinterpret_cast<uint64_t>(kernel::rodata_section().start));
    KASSERT_TRUE(rodata.mapped);
    KEXPECT_FALSE(rodata.writable);
    KernelMapping data = look_up_kernel_address(address_of(&g_data_word));
    KASSERT_TRUE(data.mapped);
    KEXPECT_TRUE(data.writable);
    // Physical = virtual - the higher-half base, for every image page.
    KEXPECT_EQ(data.physical, address_of(&g_data_word) - kernel::kKernelVirtualBase);
}

KTEST(paging, boot_tables_are_read_only_after_init)
{
    kernel::ImageRange sealed = kernel::ro_after_init_section();
    KASSERT_GT(sealed.size(), 0u);
    for (const uint8_t* page = sealed.start; page < sealed.end; page += kPageSize) {
        KernelMapping mapping = look_up_kernel_address(reinterpret_cast<uint64_t>(page));
        KEXPECT_TRUE(mapping.mapped);
        KEXPECT_FALSE(mapping.writable);
    }
    // The rest of .data stays writable.
    KEXPECT_TRUE(look_up_kernel_address(address_of(&g_data_word)).writable);
}

KTEST(paging, null_page_and_low_memory_are_unmapped)
{
    KEXPECT_FALSE(look_up_kernel_address(0).mapped);
    KEXPECT_FALSE(look_up_kernel_address(0x100000).mapped); // no identity map
    KEXPECT_FALSE(look_up_kernel_address(kUnmappedAddress).mapped);
}

KTEST(paging, direct_map_is_writable_in_large_pages)
{
    KernelMapping low = look_up_kernel_address(mm::kDirectMapBase + 0x200000);
    KASSERT_TRUE(low.mapped);
    KEXPECT_EQ(low.physical, 0x200000u);
    KEXPECT_TRUE(low.writable);
    KEXPECT_EQ(low.page_size, 2u * 1024 * 1024);
}

KTEST(paging, map_translate_and_unmap_on_the_live_tables)
{
    KASSERT_FALSE(look_up_kernel_address(kScratchPage).mapped);
    ScratchMapping scratch;
    KASSERT_TRUE(scratch.mapped());
    uint64_t physical = scratch.physical();

    KernelMapping mapping = look_up_kernel_address(kScratchPage + 0x123);
    KEXPECT_TRUE(mapping.mapped);
    KEXPECT_EQ(mapping.physical, physical + 0x123);
    KEXPECT_EQ(mapping.page_size, 4096u);
    KEXPECT_TRUE(mapping.writable);

    // The same frame through both mappings.
    auto* through_page = reinterpret_cast<volatile uint64_t*>(kScratchPage);
    auto* through_direct_map = mm::physical_to_virtual<volatile uint64_t>(physical);
    *through_page = 0x5241594F53;
    KEXPECT_EQ(*through_direct_map, 0x5241594F53u);

    KEXPECT_EQ(scratch.unmap(), physical);
    KEXPECT_FALSE(look_up_kernel_address(kScratchPage).mapped);
}

} // namespace arch
