#include "arch/paging.h"
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/page_tables.h"
#include "arch/x86_64/tlb_shootdown.h"
#include "kernel/image_layout.h"
#include "kernel/panic.h"
#include "mm/direct_map.h"
#include "mm/physical_memory.h"
#include "sync/spinlock.h"

#include <new>

namespace arch {
namespace {

// Tables live in frames from the frame allocator, reached through the
// direct map (the trampoline's while building, our own afterwards: the
// same addresses).
class KernelTableMemory final : public PageTableMemory {
public:
    PageTable& table_at(uint64_t physical) override { return *mm::physical_to_virtual<PageTable>(physical); }
    bool allocate_table(uint64_t& physical) override
    {
        auto frame = mm::allocate_frame();
        if (!frame)
            return false;
        physical = frame.value();
        for (uint64_t& entry : table_at(physical).entries)
            entry = 0;
        return true;
    }
    void invalidate(uint64_t virtual_address) override
    {
        if (m_live)
            asm volatile("invlpg (%0)" : : "r"(virtual_address) : "memory");
    }
    void go_live() { m_live = true; }

private:
    bool m_live = false; // while building, the CPU is not using these tables
};

KernelTableMemory g_table_memory;

// The live tables, once built; edited under the lock.
alignas(PageTables) unsigned char g_live_tables_storage[sizeof(PageTables)];
PageTables* g_live_tables = nullptr;
sync::Spinlock g_live_tables_lock;

bool is_guard_page(uint64_t address)
{
    StackRange stack;
    for (unsigned i = 0; known_stack(i, stack); ++i) {
        if (address == stack.guard)
            return true;
    }
    return false;
}

void map_or_panic(PageTables& tables, uint64_t virtual_address, uint64_t physical, PageRights rights)
{
    auto mapped = tables.map(virtual_address, physical, rights);
    if (!mapped)
        PANIC("mapping {:#x} -> {:#x}: {}", virtual_address, physical, describe(mapped.error()));
}

size_t map_section(PageTables& tables, kernel::ImageRange section, PageRights rights, size_t& guards)
{
    size_t pages = 0;
    for (auto address = reinterpret_cast<uint64_t>(section.start);
         address < reinterpret_cast<uint64_t>(section.end); address += kPageSize) {
        if (is_guard_page(address)) {
            ++guards;
            continue;
        }
        map_or_panic(tables, address, address - kernel::kKernelVirtualBase, rights);
        ++pages;
    }
    return pages;
}

} // namespace

KernelAddressSpace build_kernel_address_space(bool no_execute, uint64_t direct_map_end)
{
    uint64_t root = 0;
    if (!g_table_memory.allocate_table(root))
        PANIC("no frame for the kernel's page-map level 4");
    PageTables tables(root, g_table_memory, no_execute);

    KernelAddressSpace result {};
    result.no_execute = no_execute;
    result.text_pages
        = map_section(tables, kernel::text_section(), { false, true, false }, result.guard_pages);
    result.rodata_pages
        = map_section(tables, kernel::rodata_section(), { false, false, false }, result.guard_pages);
    result.data_pages
        = map_section(tables, kernel::data_section(), { true, false, false }, result.guard_pages);

    uint64_t end = (direct_map_end + kLargePageSize - 1) & ~(kLargePageSize - 1);
    for (uint64_t physical = 0; physical < end; physical += kLargePageSize) {
        auto mapped = tables.map_large(mm::kDirectMapBase + physical, physical, { true, false, false });
        if (!mapped)
            PANIC("direct map at {:#x}: {}", physical, describe(mapped.error()));
    }
    result.direct_map_bytes = end;

    Cr3().set_root_table(root).write();
    g_table_memory.go_live();
    g_live_tables = new (g_live_tables_storage) PageTables(tables);

    PagingAudit audit = tables.audit();
    result.mapped_pages = audit.mapped_pages;
    result.writable_executable_pages = audit.writable_executable_pages;
    return result;
}

namespace {

// The live tables under their lock; before they exist, a caller is a bug.
template <typename Function>
decltype(auto) with_live_tables(const char* caller, Function&& function)
{
    if (g_live_tables == nullptr)
        PANIC("{} called before the kernel's page tables exist", caller);
    sync::SpinlockGuard guard(g_live_tables_lock);
    return function(*g_live_tables);
}

} // namespace

namespace {

// One 4 KiB page on the live tables: false only when no frame is left for a
// page table; any other error (the page is mapped already) is a kernel bug.
bool map_one_page(const char* caller, uint64_t virtual_address, uint64_t physical, PageRights rights)
{
    auto mapped = with_live_tables(
        caller, [&](PageTables& tables) { return tables.map(virtual_address, physical, rights); });
    if (mapped)
        return true;
    if (mapped.error() == PagingError::OutOfTables)
        return false;
    PANIC("{}: mapping {:#x} -> {:#x}: {}", caller, virtual_address, physical, describe(mapped.error()));
}

} // namespace

bool map_kernel_data_page(uint64_t virtual_address, uint64_t physical)
{
    return map_kernel_data_pages(virtual_address, &physical, 1) == 1;
}

size_t map_kernel_data_pages(uint64_t virtual_address, const uint64_t* frames, size_t count)
{
    return with_live_tables("map_kernel_data_pages", [&](PageTables& tables) {
        for (size_t i = 0; i < count; ++i) {
            uint64_t page = virtual_address + i * kPageSize;
            auto mapped = tables.map(page, frames[i], { true, false, false });
            if (mapped)
                continue;
            if (mapped.error() == PagingError::OutOfTables)
                return i;
            PANIC("map_kernel_data_pages: mapping {:#x} -> {:#x}: {}", page, frames[i],
                describe(mapped.error()));
        }
        return count;
    });
}

bool map_device_page(uint64_t virtual_address, uint64_t physical)
{
    PageRights rights { .writable = true, .executable = false, .user = false, .uncached = true };
    return map_one_page("map_device_page", virtual_address, physical, rights);
}

bool map_firmware_page(uint64_t physical)
{
    return map_one_page(
        "map_firmware_page", mm::kDirectMapBase + physical, physical, { false, false, false });
}

bool map_identity_code_page(uint64_t physical)
{
    return map_one_page("map_identity_code_page", physical, physical, { false, true, false });
}

KernelMapping look_up_kernel_address(uint64_t virtual_address)
{
    auto found = with_live_tables(
        "look_up_kernel_address", [&](PageTables& tables) { return tables.translate(virtual_address); });
    if (!found)
        return KernelMapping {};
    const Translation& translation = found.value();
    return { true, translation.physical, translation.page_size, translation.rights.writable,
        translation.rights.executable };
}

size_t make_kernel_pages_read_only(uint64_t start, uint64_t end)
{
    // One CPU from the change to the last flush: a thread preempted between
    // them and moved would leave its new CPU's TLB out of the shootdown.
    sync::InterruptGuard stay_on_this_cpu;
    size_t pages = with_live_tables("make_kernel_pages_read_only", [&](PageTables& tables) {
        size_t pages = 0;
        for (uint64_t address = start & ~(kPageSize - 1); address < end; address += kPageSize, ++pages) {
            auto changed = tables.protect(address, { false, false, false });
            if (!changed)
                PANIC("making {:#x} read-only: {}", address, describe(changed.error()));
        }
        return pages;
    });
    // This CPU's TLB was flushed page by page as the tables changed; the
    // others may still cache the writable entries.
    flush_tlb_on_other_cpus(start & ~(kPageSize - 1), pages);
    return pages;
}

uint64_t count_writable_executable_pages()
{
    return with_live_tables("count_writable_executable_pages",
        [](PageTables& tables) { return tables.audit().writable_executable_pages; });
}

uint64_t count_page_table_frames()
{
    return with_live_tables(
        "count_page_table_frames", [](PageTables& tables) { return tables.audit().table_frames; });
}

bool no_execute_enforced()
{
    return Efer::read().no_execute_enable();
}

void unmap_kernel_pages(uint64_t virtual_address, size_t count, uint64_t* frames)
{
    // As in make_kernel_pages_read_only: no move to another CPU between the
    // local flushes and the others'.
    sync::InterruptGuard stay_on_this_cpu;
    with_live_tables("unmap_kernel_pages", [&](PageTables& tables) {
        for (size_t i = 0; i < count; ++i) {
            uint64_t page = virtual_address + i * kPageSize;
            auto unmapped = tables.unmap(page);
            if (!unmapped)
                PANIC("unmapping {:#x}: {}", page, describe(unmapped.error()));
            frames[i] = unmapped.value();
        }
    });
    // Flushed here already; another CPU may still cache the translations
    // and read the frames after the caller gave them back.
    flush_tlb_on_other_cpus(virtual_address & ~(kPageSize - 1), count);
}

void unmap_and_free_kernel_pages(uint64_t virtual_address, size_t count)
{
    uint64_t frames[kUnmapBatchPages];
    for (size_t done = 0; done < count;) {
        size_t batch = count - done < kUnmapBatchPages ? count - done : kUnmapBatchPages;
        unmap_kernel_pages(virtual_address + done * kPageSize, batch, frames);
        for (size_t i = 0; i < batch; ++i)
            mm::free_frame(frames[i]);
        done += batch;
    }
}

uint64_t unmap_kernel_page(uint64_t virtual_address)
{
    uint64_t frame;
    unmap_kernel_pages(virtual_address, 1, &frame);
    return frame;
}

} // namespace arch
