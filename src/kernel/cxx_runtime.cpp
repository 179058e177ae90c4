#include "kernel/cxx_runtime.h"

#include <new>

#include "kernel/panic.h"
#include "mm/kernel_heap.h"

extern "C" {
using GlobalConstructor = void (*)();
extern const GlobalConstructor __init_array_start[], __init_array_end[];

// Called through a vtable slot whose function is pure virtual: only
// possible from a constructor or destructor, so a bug.
void __cxa_pure_virtual()
{
    PANIC("pure virtual function called");
}

// Identifies this "shared object" for __cxa_atexit; the kernel builds with
// -fno-use-cxa-atexit and never runs global destructors, but the symbol
// must exist for any object file that names it.
void* __dso_handle = nullptr;
}

namespace kernel {

size_t run_global_constructors()
{
    size_t count = 0;
    for (const GlobalConstructor* constructor = __init_array_start; constructor != __init_array_end;
         ++constructor) {
        (*constructor)();
        ++count;
    }
    return count;
}

} // namespace kernel

// Kernel code asks for memory with new; there is no exception to throw, so
// running out panics with the size asked for. Before the heap is up, kalloc
// panics too: nothing in the boot path allocates that early.
namespace {

void* allocate_or_panic(size_t size, size_t alignment)
{
    void* block = mm::kalloc(size, alignment);
    if (block == nullptr) {
        mm::HeapStatistics stats = mm::kernel_heap_statistics();
        PANIC("out of memory: new of {} bytes aligned to {} ({} bytes in use, {} held)", size, alignment,
            stats.bytes_in_use, stats.bytes_held);
    }
    return block;
}

} // namespace

void* operator new(size_t size)
{
    return allocate_or_panic(size, alignof(max_align_t));
}

void* operator new[](size_t size)
{
    return allocate_or_panic(size, alignof(max_align_t));
}

void* operator new(size_t size, std::align_val_t alignment)
{
    return allocate_or_panic(size, static_cast<size_t>(alignment));
}

void* operator new[](size_t size, std::align_val_t alignment)
{
    return allocate_or_panic(size, static_cast<size_t>(alignment));
}

void operator delete(void* pointer) noexcept
{
    mm::kfree(pointer);
}

void operator delete[](void* pointer) noexcept
{
    mm::kfree(pointer);
}

void operator delete(void* pointer, size_t) noexcept
{
    mm::kfree(pointer);
}

void operator delete[](void* pointer, size_t) noexcept
{
    mm::kfree(pointer);
}

void operator delete(void* pointer, std::align_val_t) noexcept
{
    mm::kfree(pointer);
}

void operator delete[](void* pointer, std::align_val_t) noexcept
{
    mm::kfree(pointer);
}

void operator delete(void* pointer, size_t, std::align_val_t) noexcept
{
    mm::kfree(pointer);
}

void operator delete[](void* pointer, size_t, std::align_val_t) noexcept
{
    mm::kfree(pointer);
}
