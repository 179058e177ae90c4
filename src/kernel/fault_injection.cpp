#include "kernel/fault_kind.h"

#include <stddef.h>

#include "kernel/panic.h"

extern "C" uint64_t __stack_chk_guard; // src/kernel/stack_protector.cpp

namespace kernel {
namespace {

void requested_panic()
{
    PANIC("fault injection: panic requested on the command line");
}

// The stack protector's guard is sealed read-only once boot is complete.
[[gnu::noinline]] void overwrite_the_stack_guard()
{
    *static_cast<volatile uint64_t*>(&__stack_chk_guard) = 0;
}

// Writes from a 16-byte array up to the saved frame pointer: over the canary
// between them, but not over the frame chain, so the panic's backtrace still
// reaches kernel_main. The volatile length keeps the compiler from proving
// the overrun and dropping it. Not sanitized: UBSan's object-size check
// would stop the first byte out of bounds, and this shows the canary's catch.
[[gnu::noinline, gnu::no_sanitize_undefined]] void smash_the_stack()
{
    char buffer[16];
    volatile auto length = static_cast<size_t>(static_cast<char*>(__builtin_frame_address(0)) - buffer);
    auto* bytes = static_cast<volatile char*>(buffer);
    for (size_t i = 0; i < length; ++i)
        bytes[i] = 'A';
}

} // namespace

// The kernel's own failure paths; the CPU's are in
// src/arch/x86_64/fault_triggers.cpp, UBSan's in ubsan_triggers.cpp and the
// heap's in src/mm/heap_misuse.cpp. The order numbers place each kind in
// the lists the user sees (kernel/fault_kind.h).
FAULT_KIND(panic, 10, "panic", "the kernel's own panic path: [PANIC] message (file:line), failure exit",
    EndsTheBoot, requested_panic);
FAULT_KIND(stack_smash, 130, "stack-smash",
    "the stack protector: a canary overwritten, [PANIC] naming the function", EndsTheBoot, smash_the_stack);
FAULT_KIND(ro_after_init_write, 220, "ro-after-init-write",
    "#PF: a write to data sealed read-only after boot (the stack guard)", EndsTheBoot,
    overwrite_the_stack_guard);

} // namespace kernel
