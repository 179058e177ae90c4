#include "arch/paging.h"
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/page_table_entry.h"
#include "kernel/image_layout.h"
#include "kernel/panic.h"
#include "mm/direct_map.h"

namespace arch {
namespace {

// Page tables for this step come from the image's .bss: there is no frame
// allocator yet. 8 tables cover a 14 MiB kernel image; the panic below
// says so if the image outgrows it.
constexpr size_t kTablePoolSize = 8;
PageTable g_table_pool[kTablePoolSize];
size_t g_tables_used = 0;

PageTable& allocate_table()
{
    if (g_tables_used == kTablePoolSize)
        PANIC("early page-table pool exhausted ({} tables): the kernel image is too large", kTablePoolSize);
    PageTable& table = g_table_pool[g_tables_used++];
    for (uint64_t& entry : table.entries)
        entry = 0;
    return table;
}

// Tables in the image: physical = virtual - kernel base.
uint64_t physical_address_of(const PageTable& table)
{
    return reinterpret_cast<uint64_t>(&table) - kernel::kKernelVirtualBase;
}

PageTable& table_from_entry(uint64_t entry)
{
    return *mm::physical_to_virtual<PageTable>(entry & kEntryAddressMask);
}

// Replaces the 2 MiB page in directory[index] with a table of 4 KiB pages
// mapping the same memory with the same rights.
PageTable& split_large_page(PageTable& directory, unsigned index)
{
    uint64_t large = directory.entries[index];
    if (!(large & flag(PageFlag::Huge)))
        return table_from_entry(large);
    uint64_t base = large & kEntryAddressMask & ~(kLargePageSize - 1);
    uint64_t rights = large & (flag(PageFlag::Present) | flag(PageFlag::Writable) | flag(PageFlag::User));
    PageTable& table = allocate_table();
    for (uint64_t i = 0; i < kEntriesPerTable; ++i)
        table.entries[i] = (base + i * kPageSize) | rights;
    directory.entries[index]
        = physical_address_of(table) | flag(PageFlag::Present) | flag(PageFlag::Writable);
    return table;
}

// The rights of one page of the kernel's higher-half window.
uint64_t rights_for(uint64_t address, uint64_t no_execute)
{
    auto inside = [address](kernel::ImageRange range) {
        return address >= reinterpret_cast<uint64_t>(range.start)
            && address < reinterpret_cast<uint64_t>(range.end);
    };
    uint64_t present = flag(PageFlag::Present);
    if (inside(kernel::text_section()))
        return present;
    if (inside(kernel::rodata_section()))
        return present | no_execute;
    return present | flag(PageFlag::Writable) | no_execute;
}

} // namespace

KernelProtections protect_kernel_image(bool cpu_has_nx)
{
    KernelProtections result {};
    result.no_execute = cpu_has_nx;
    // Setting bit 63 without EFER.NXE is a reserved-bit fault.
    uint64_t no_execute = cpu_has_nx ? flag(PageFlag::NoExecute) : 0;

    PageTable& pml4 = *mm::physical_to_virtual<PageTable>(read_cr3() & kEntryAddressMask);
    uint64_t image_start = reinterpret_cast<uint64_t>(kernel::kernel_image().start);
    uint64_t image_end = reinterpret_cast<uint64_t>(kernel::kernel_image().end);
    PageTable& pdpt = table_from_entry(pml4.entries[table_index(image_start, 4)]);
    unsigned pdpt_index = table_index(image_start, 3);

    // The trampoline shares one page directory between the identity map, the
    // direct map and the higher half; the kernel's window gets its own copy
    // so its rights do not leak into the other two.
    PageTable& shared_directory = table_from_entry(pdpt.entries[pdpt_index]);
    PageTable& directory = allocate_table();
    directory = shared_directory;
    pdpt.entries[pdpt_index]
        = physical_address_of(directory) | flag(PageFlag::Present) | flag(PageFlag::Writable);

    for (uint64_t page = image_start & ~(kLargePageSize - 1); page < image_end; page += kPageSize) {
        PageTable& table = split_large_page(directory, table_index(page, 2));
        uint64_t& entry = table.entries[table_index(page, 1)];
        entry = (entry & kEntryAddressMask) | rights_for(page, no_execute);
    }
    result.text_pages = kernel::text_section().size() / kPageSize;
    result.rodata_pages = kernel::rodata_section().size() / kPageSize;
    result.data_pages = kernel::data_section().size() / kPageSize;

    StackRange stack;
    for (unsigned i = 0; known_stack(i, stack); ++i) {
        PageTable& table = split_large_page(directory, table_index(stack.guard, 2));
        table.entries[table_index(stack.guard, 1)] = 0;
        ++result.guard_pages;
        --result.data_pages; // the guards are carved out of .bss
    }

    // Page 0 of the identity map (and, through the shared directory, of the
    // direct map): a null pointer then faults. Physical page 0 holds the
    // real-mode IVT and BIOS data, which the kernel never uses.
    PageTable& low_pdpt = table_from_entry(pml4.entries[0]);
    PageTable& low_directory = table_from_entry(low_pdpt.entries[0]);
    split_large_page(low_directory, 0).entries[0] = 0;
    result.null_page_unmapped = true;

    write_cr3(read_cr3()); // drop every stale translation
    return result;
}

} // namespace arch
