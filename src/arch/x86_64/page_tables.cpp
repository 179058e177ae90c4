#include "arch/x86_64/page_tables.h"

namespace arch {
namespace {

bool is_canonical(uint64_t address)
{
    // Bits 63..47 all equal (48-bit virtual addresses).
    uint64_t top = address >> 47;
    return top == 0 || top == 0x1FFFF;
}

// Intermediate entries allow everything; the leaf decides the rights (the
// CPU combines the levels, so a restrictive upper entry would restrict all).
constexpr uint64_t kTableEntryBits
    = flag(PageFlag::Present) | flag(PageFlag::Writable) | flag(PageFlag::User);

} // namespace

const char* describe(PagingError error)
{
    switch (error) {
    case PagingError::NotAligned:
        return "address is not page-aligned";
    case PagingError::AlreadyMapped:
        return "address is already mapped";
    case PagingError::NotMapped:
        return "address is not mapped";
    case PagingError::InsideLargePage:
        return "address lies inside a 2 MiB page";
    case PagingError::OutOfTables:
        return "no frame for a new page table";
    case PagingError::NonCanonical:
        return "address is not canonical";
    case PagingError::PhysicalOutOfRange:
        return "physical address does not fit an entry (52 bits)";
    }
    return "unknown error";
}

uint64_t PageTables::leaf_bits(PageRights rights, bool large) const
{
    uint64_t bits = flag(PageFlag::Present);
    if (rights.writable)
        bits |= flag(PageFlag::Writable);
    if (rights.user)
        bits |= flag(PageFlag::User);
    if (!rights.executable && m_no_execute)
        bits |= flag(PageFlag::NoExecute);
    if (rights.uncached)
        bits |= flag(PageFlag::CacheDisable) | flag(PageFlag::WriteThrough);
    if (large)
        bits |= flag(PageFlag::Huge);
    return bits;
}

PageRights PageTables::rights_of(uint64_t entry) const
{
    return { (entry & flag(PageFlag::Writable)) != 0, !(entry & flag(PageFlag::NoExecute)),
        (entry & flag(PageFlag::User)) != 0 };
}

uint64_t* PageTables::walk(
    uint64_t virtual_address, unsigned level, bool create, bool& inside_large, bool& out_of_tables) const
{
    inside_large = out_of_tables = false;
    PageTable* table = &m_memory.table_at(m_root);
    for (unsigned current = 4; current > level; --current) {
        uint64_t& entry = table->entries[table_index(virtual_address, current)];
        if (!(entry & flag(PageFlag::Present))) {
            if (!create)
                return nullptr;
            uint64_t frame = 0;
            if (!m_memory.allocate_table(frame)) {
                out_of_tables = true;
                return nullptr;
            }
            entry = frame | kTableEntryBits;
        } else if (entry & flag(PageFlag::Huge)) {
            inside_large = true;
            return nullptr;
        }
        table = &m_memory.table_at(entry & kEntryAddressMask);
    }
    return &table->entries[table_index(virtual_address, level)];
}

lib::Result<void, PagingError> PageTables::map(uint64_t virtual_address, uint64_t physical, PageRights rights)
{
    if (!is_canonical(virtual_address))
        return lib::fail(PagingError::NonCanonical);
    if (virtual_address % kPageSize != 0 || physical % kPageSize != 0)
        return lib::fail(PagingError::NotAligned);
    // Higher bits would land on NX and the protection key instead.
    if ((physical & ~kEntryAddressMask) != 0)
        return lib::fail(PagingError::PhysicalOutOfRange);
    bool inside_large = false, out_of_tables = false;
    uint64_t* entry = walk(virtual_address, 1, true, inside_large, out_of_tables);
    if (inside_large)
        return lib::fail(PagingError::InsideLargePage);
    if (out_of_tables)
        return lib::fail(PagingError::OutOfTables);
    if (*entry & flag(PageFlag::Present))
        return lib::fail(PagingError::AlreadyMapped);
    *entry = physical | leaf_bits(rights, false);
    m_memory.invalidate(virtual_address);
    return {};
}

lib::Result<void, PagingError> PageTables::map_large(
    uint64_t virtual_address, uint64_t physical, PageRights rights)
{
    if (!is_canonical(virtual_address))
        return lib::fail(PagingError::NonCanonical);
    if (virtual_address % kLargePageSize != 0 || physical % kLargePageSize != 0)
        return lib::fail(PagingError::NotAligned);
    if ((physical & ~kEntryAddressMask) != 0)
        return lib::fail(PagingError::PhysicalOutOfRange);
    bool inside_large = false, out_of_tables = false;
    uint64_t* entry = walk(virtual_address, 2, true, inside_large, out_of_tables);
    if (inside_large)
        return lib::fail(PagingError::InsideLargePage);
    if (out_of_tables)
        return lib::fail(PagingError::OutOfTables);
    if (*entry & flag(PageFlag::Present))
        return lib::fail(PagingError::AlreadyMapped);
    *entry = physical | leaf_bits(rights, true);
    m_memory.invalidate(virtual_address);
    return {};
}

lib::Result<uint64_t, PagingError> PageTables::unmap(uint64_t virtual_address)
{
    if (virtual_address % kPageSize != 0)
        return lib::fail(PagingError::NotAligned);
    bool inside_large = false, out_of_tables = false;
    uint64_t* entry = walk(virtual_address, 1, false, inside_large, out_of_tables);
    if (inside_large)
        return lib::fail(PagingError::InsideLargePage);
    if (entry == nullptr || !(*entry & flag(PageFlag::Present)))
        return lib::fail(PagingError::NotMapped);
    uint64_t physical = *entry & kEntryAddressMask;
    *entry = 0;
    m_memory.invalidate(virtual_address);
    return physical;
}

lib::Result<Translation, PagingError> PageTables::translate(uint64_t virtual_address) const
{
    if (!is_canonical(virtual_address))
        return lib::fail(PagingError::NonCanonical);
    PageTable* table = &m_memory.table_at(m_root);
    for (unsigned level = 4; level >= 1; --level) {
        uint64_t entry = table->entries[table_index(virtual_address, level)];
        if (!(entry & flag(PageFlag::Present)))
            return lib::fail(PagingError::NotMapped);
        bool leaf = level == 1 || (level == 2 && (entry & flag(PageFlag::Huge)));
        if (leaf) {
            uint64_t size = level == 1 ? kPageSize : kLargePageSize;
            uint64_t base = entry & kEntryAddressMask & ~(size - 1);
            return Translation { base + (virtual_address & (size - 1)), size, rights_of(entry) };
        }
        table = &m_memory.table_at(entry & kEntryAddressMask);
    }
    return lib::fail(PagingError::NotMapped);
}

lib::Result<void, PagingError> PageTables::protect(uint64_t virtual_address, PageRights rights)
{
    if (virtual_address % kPageSize != 0)
        return lib::fail(PagingError::NotAligned);
    bool inside_large = false, out_of_tables = false;
    uint64_t* entry = walk(virtual_address, 1, false, inside_large, out_of_tables);
    if (inside_large)
        return lib::fail(PagingError::InsideLargePage);
    if (entry == nullptr || !(*entry & flag(PageFlag::Present)))
        return lib::fail(PagingError::NotMapped);
    *entry = (*entry & kEntryAddressMask) | leaf_bits(rights, false);
    m_memory.invalidate(virtual_address);
    return {};
}

PagingAudit PageTables::audit() const
{
    PagingAudit audit {};
    audit.table_frames = 1;
    PageTable& pml4 = m_memory.table_at(m_root);
    for (uint64_t& l4 : pml4.entries) {
        if (!(l4 & flag(PageFlag::Present)))
            continue;
        ++audit.table_frames;
        PageTable& pdpt = m_memory.table_at(l4 & kEntryAddressMask);
        for (uint64_t& l3 : pdpt.entries) {
            if (!(l3 & flag(PageFlag::Present)))
                continue;
            uint64_t pages_here = kLargePageSize / kPageSize * kEntriesPerTable;
            if (l3 & flag(PageFlag::Huge)) { // 1 GiB page
                audit.mapped_pages += pages_here;
                if (rights_of(l3).writable && rights_of(l3).executable)
                    audit.writable_executable_pages += pages_here;
                continue;
            }
            ++audit.table_frames;
            PageTable& directory = m_memory.table_at(l3 & kEntryAddressMask);
            for (uint64_t& l2 : directory.entries) {
                if (!(l2 & flag(PageFlag::Present)))
                    continue;
                if (l2 & flag(PageFlag::Huge)) {
                    audit.mapped_pages += kLargePageSize / kPageSize;
                    if (rights_of(l2).writable && rights_of(l2).executable)
                        audit.writable_executable_pages += kLargePageSize / kPageSize;
                    continue;
                }
                ++audit.table_frames;
                PageTable& table = m_memory.table_at(l2 & kEntryAddressMask);
                for (uint64_t& l1 : table.entries) {
                    if (!(l1 & flag(PageFlag::Present)))
                        continue;
                    ++audit.mapped_pages;
                    if (rights_of(l1).writable && rights_of(l1).executable)
                        ++audit.writable_executable_pages;
                }
            }
        }
    }
    return audit;
}

} // namespace arch
