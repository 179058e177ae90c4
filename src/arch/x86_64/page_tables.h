#pragma once

// 4-level x86-64 page tables (Intel SDM Vol. 3A 4.5): map, unmap, translate
// and protect 4 KiB pages, map 2 MiB pages, and audit the whole tree. Pure
// logic over PageTableMemory, which says where a table's physical frame can
// be read and written and where new tables come from, so the same code
// edits the live tables in the kernel and a fake memory in the host tests.

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/page_table_entry.h"
#include "lib/result.h"

namespace arch {

// The rights of a mapping; Present is implied.
struct PageRights {
    bool writable = false;
    bool executable = false;
    bool user = false;
    bool uncached = false; // device registers: PCD and PWT, strong uncacheable with the boot PAT
};

class PageTableMemory {
public:
    virtual PageTable& table_at(uint64_t physical) = 0;
    // A zeroed frame for a new table, or false when there is none.
    virtual bool allocate_table(uint64_t& physical) = 0;
    // After an entry that the CPU may have cached changed.
    virtual void invalidate(uint64_t virtual_address) = 0;

protected:
    ~PageTableMemory() = default;
};

enum class PagingError : uint8_t {
    NotAligned,
    AlreadyMapped,
    NotMapped,
    InsideLargePage, // a 4 KiB operation where a 2 MiB page maps the address
    OutOfTables,
    NonCanonical,
    PhysicalOutOfRange, // above bit 51: would spill into an entry's other fields
};
const char* describe(PagingError error);

struct Translation {
    uint64_t physical;
    uint64_t page_size;
    PageRights rights;
};

struct PagingAudit {
    uint64_t mapped_pages; // in 4 KiB units
    uint64_t writable_executable_pages; // in 4 KiB units: must be 0
    uint64_t table_frames; // the tables themselves, the root included
};

class PageTables {
public:
    PageTables(uint64_t root_physical, PageTableMemory& memory, bool no_execute_supported)
        : m_root(root_physical)
        , m_memory(memory)
        , m_no_execute(no_execute_supported)
    {
    }

    uint64_t root() const { return m_root; }

    lib::Result<void, PagingError> map(uint64_t virtual_address, uint64_t physical, PageRights rights);
    lib::Result<void, PagingError> map_large(uint64_t virtual_address, uint64_t physical, PageRights rights);
    // Returns the physical frame that was mapped.
    lib::Result<uint64_t, PagingError> unmap(uint64_t virtual_address);
    lib::Result<Translation, PagingError> translate(uint64_t virtual_address) const;
    lib::Result<void, PagingError> protect(uint64_t virtual_address, PageRights rights);

    PagingAudit audit() const;

private:
    uint64_t leaf_bits(PageRights rights, bool large) const;
    // The entry at the given level for the address, creating the tables
    // above it when create is set; nullptr if absent (or a large page sits
    // above, reported through inside_large).
    uint64_t* walk(
        uint64_t virtual_address, unsigned level, bool create, bool& inside_large, bool& out_of_tables) const;
    PageRights rights_of(uint64_t entry) const;

    uint64_t m_root;
    PageTableMemory& m_memory;
    bool m_no_execute;
};

} // namespace arch
