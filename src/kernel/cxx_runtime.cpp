#include "kernel/cxx_runtime.h"

#include <new>

#include "kernel/panic.h"
#include "mm/early_heap.h"

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

// Kernel code asks for memory with new; there is no exception to throw, so a
// failure panics inside early_heap::allocate with the size requested.
void* operator new(size_t size)
{
    return mm::early_heap::allocate(size, alignof(max_align_t));
}

void* operator new[](size_t size)
{
    return mm::early_heap::allocate(size, alignof(max_align_t));
}

void* operator new(size_t size, std::align_val_t alignment)
{
    return mm::early_heap::allocate(size, static_cast<size_t>(alignment));
}

void* operator new[](size_t size, std::align_val_t alignment)
{
    return mm::early_heap::allocate(size, static_cast<size_t>(alignment));
}

void operator delete(void* pointer) noexcept
{
    mm::early_heap::free(pointer);
}

void operator delete[](void* pointer) noexcept
{
    mm::early_heap::free(pointer);
}

void operator delete(void* pointer, size_t) noexcept
{
    mm::early_heap::free(pointer);
}

void operator delete[](void* pointer, size_t) noexcept
{
    mm::early_heap::free(pointer);
}

void operator delete(void* pointer, std::align_val_t) noexcept
{
    mm::early_heap::free(pointer);
}

void operator delete[](void* pointer, std::align_val_t) noexcept
{
    mm::early_heap::free(pointer);
}

void operator delete(void* pointer, size_t, std::align_val_t) noexcept
{
    mm::early_heap::free(pointer);
}

void operator delete[](void* pointer, size_t, std::align_val_t) noexcept
{
    mm::early_heap::free(pointer);
}
