#pragma once

// The kernel's own address space, replacing the trampoline's tables:
//   - the image mapped by section: text RX, rodata R NX, data+bss RW NX
//   - the guard page below every stack left unmapped
//   - a direct map of physical memory (RW NX) at mm::kDirectMapBase
//   - nothing else: no identity map, so no null page
// Table frames come from the frame allocator.

#include <stddef.h>
#include <stdint.h>

namespace arch {

struct KernelAddressSpace {
    size_t text_pages;
    size_t rodata_pages;
    size_t data_pages;
    size_t guard_pages;
    uint64_t direct_map_bytes;
    uint64_t mapped_pages; // from the audit, in 4 KiB units
    uint64_t writable_executable_pages; // from the audit: 0 unless the CPU has no NX
    bool no_execute;
};

// Builds the tables, switches CR3 to them and audits them.
KernelAddressSpace build_kernel_address_space(bool no_execute, uint64_t direct_map_end);

// After build_kernel_address_space, for memory the kernel maps on demand
// (the heap). Maps one 4 KiB page read-write and no-execute; false only
// when no frame is left for a page table. Mapping a mapped page panics.
bool map_kernel_data_page(uint64_t virtual_address, uint64_t physical);
// The same for count pages from virtual_address onto frames[0..count), under
// one hold of the page tables' lock (the heap maps hundreds at a time).
// Returns how many were mapped: fewer than count only when no frame was
// left for a page table.
size_t map_kernel_data_pages(uint64_t virtual_address, const uint64_t* frames, size_t count);
// Extends the direct map by one read-only, no-execute 4 KiB page at
// kDirectMapBase + physical: for firmware tables in memory the direct map
// does not reach (it covers usable memory). False when no frame is left for
// a page table; mapping a mapped page panics.
bool map_firmware_page(uint64_t physical);
// Maps one 4 KiB page read-only and executable at virtual == physical, for
// code that turns paging on while it runs there (the AP trampoline, below
// 1 MiB). The only identity mapping the kernel makes; unmap it with
// unmap_kernel_page once no CPU runs there. False when no frame is left for
// a page table; mapping a mapped page panics.
bool map_identity_code_page(uint64_t physical);
// Maps one 4 KiB page of device registers (a local or I/O APIC) read-write,
// no-execute and uncached at virtual_address, outside the direct map (which
// maps memory write-back). Same failures as map_kernel_data_page.
bool map_device_page(uint64_t virtual_address, uint64_t physical);
// Where device pages go: one fixed 4 KiB slot each, below the heap's region.
inline constexpr uint64_t kDeviceWindowBase = 0xFFFFBF0000000000;
inline constexpr uint64_t kLocalApicWindow = kDeviceWindowBase;
// I/O APIC i at kIoApicWindowBase + i pages.
inline constexpr uint64_t kIoApicWindowBase = kDeviceWindowBase + 0x1000;
// The boot loader's framebuffer, mapped page by page from here (at most
// boot::kMaxFramebufferBytes), far above the single-page slots.
inline constexpr uint64_t kFramebufferWindow = kDeviceWindowBase + 0x8000000000;
// PCI segment 0's ECAM (PCIe Base 4.0, 7.2.2), 1 MiB a bus: bus b at
// kEcamWindowBase + (b << 20), mapped a bus at a time as the PCI
// enumeration reaches it; 256 MiB at most, 1 GiB into the device window.
inline constexpr uint64_t kEcamWindowBase = kDeviceWindowBase + 0x40000000;

// Unmaps one 4 KiB page, flushes it from the TLB and returns the frame it
// mapped. Unmapping an unmapped page panics.
uint64_t unmap_kernel_page(uint64_t virtual_address);
// The same for count pages from virtual_address, under one hold of the page
// tables' lock and with one TLB shootdown for them all (a shootdown waits
// for every other CPU's answer: a thread's stack took four of them, a
// round trip each); the frames they mapped go to frames[0..count).
void unmap_kernel_pages(uint64_t virtual_address, size_t count, uint64_t* frames);
// Unmaps count pages from virtual_address and frees the frames they mapped
// (stacks, heap pages): a shootdown for every kUnmapBatchPages of them.
inline constexpr size_t kUnmapBatchPages = 64;
void unmap_and_free_kernel_pages(uint64_t virtual_address, size_t count);

// What the live tables say about an address (for kernel tests and reports).
struct KernelMapping {
    bool mapped;
    uint64_t physical;
    uint64_t page_size;
    bool writable;
    bool executable;
};
KernelMapping look_up_kernel_address(uint64_t virtual_address);

// Makes the 4 KiB pages of [start, end) read-only and no-execute on the
// live tables (and flushes them from the TLB). Returns the page count.
size_t make_kernel_pages_read_only(uint64_t start, uint64_t end);

// The W^X walk over the live tables, as at boot but now (heap pages too).
uint64_t count_writable_executable_pages();
// Frames the live tables themselves occupy: tables are created on demand
// and kept when their last page goes, so the count only grows.
uint64_t count_page_table_frames();

// EFER.NXE: whether the no-execute bit is honoured. Without it (a CPU with
// no NX) every mapped page is executable and W^X cannot be enforced.
bool no_execute_enforced();

} // namespace arch
