#include "kernel/fault_injection.h"

#include <stddef.h>

#include "arch/fault_triggers.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/ubsan_triggers.h"
#include "lib/format.h"
#include "mm/heap_misuse.h"

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

// One row per kind: its command-line name and what raises it.
struct FaultName {
    lib::StringView name;
    FaultKind kind;
    void (*trigger)();
};

constexpr FaultName kFaultNames[] = {
    { "panic", FaultKind::Panic, requested_panic },
    { "divide-by-zero", FaultKind::DivideByZero, arch::trigger_divide_by_zero },
    { "invalid-opcode", FaultKind::InvalidOpcode, arch::trigger_invalid_opcode },
    { "breakpoint", FaultKind::Breakpoint, arch::trigger_breakpoint },
    { "general-protection", FaultKind::GeneralProtection, arch::trigger_general_protection },
    { "unmapped-read", FaultKind::UnmappedRead, arch::trigger_unmapped_read },
    { "null-pointer", FaultKind::NullPointer, arch::trigger_null_pointer_read },
    { "read-only-write", FaultKind::ReadOnlyWrite, arch::trigger_read_only_write },
    { "no-execute-fetch", FaultKind::NoExecuteFetch, arch::trigger_no_execute_fetch },
    { "stack-overflow", FaultKind::StackOverflow, arch::trigger_stack_overflow },
    { "nested", FaultKind::NestedFault, arch::trigger_nested_fault },
    { "corrupt-frame-pointer", FaultKind::CorruptFramePointer,
        arch::trigger_invalid_opcode_with_corrupt_frame_pointer },
    { "stack-smash", FaultKind::StackSmash, smash_the_stack },
    { "ubsan-signed-overflow", FaultKind::UbsanSignedOverflow, ubsan_signed_overflow },
    { "ubsan-shift", FaultKind::UbsanShift, ubsan_shift_out_of_bounds },
    { "ubsan-misaligned", FaultKind::UbsanMisaligned, ubsan_misaligned_access },
    { "ubsan-out-of-bounds", FaultKind::UbsanOutOfBounds, ubsan_index_out_of_bounds },
    { "ubsan-null", FaultKind::UbsanNull, ubsan_null_dereference },
    { "ubsan-unreachable", FaultKind::UbsanUnreachable, ubsan_unreachable },
    { "ubsan-invalid-bool", FaultKind::UbsanInvalidBool, ubsan_invalid_bool },
    { "ubsan-division-by-zero", FaultKind::UbsanDivisionByZero, ubsan_division_by_zero },
    { "ro-after-init-write", FaultKind::ReadOnlyAfterInitWrite, overwrite_the_stack_guard },
    { "heap-execute", FaultKind::HeapExecute, mm::misuse_execute_heap_block },
    { "use-after-free", FaultKind::UseAfterFree, mm::misuse_write_after_free },
    { "double-free", FaultKind::DoubleFree, mm::misuse_double_free },
    { "foreign-free", FaultKind::ForeignFree, mm::misuse_free_foreign_pointer },
    { "heap-header-overwrite", FaultKind::HeaderOverwrite, mm::misuse_overwrite_block_header },
};

const FaultName* entry_for(FaultKind kind)
{
    for (const FaultName& entry : kFaultNames) {
        if (entry.kind == kind)
            return &entry;
    }
    return nullptr;
}

} // namespace

FaultLookup find_fault_kind(lib::StringView name)
{
    for (const FaultName& entry : kFaultNames) {
        if (entry.name == name)
            return { entry.kind, true };
    }
    return { FaultKind::None, false };
}

lib::StringView fault_kind_names()
{
    // Built from the table once, so the message never lists a stale set.
    static char names[512];
    static lib::StringView joined;
    if (joined.empty()) {
        lib::BufferSink sink(names, sizeof(names));
        for (const FaultName& entry : kFaultNames) {
            if (!sink.view().empty())
                sink.write(", ");
            sink.write(entry.name);
        }
        joined = sink.view();
    }
    return joined;
}

void inject_fault(FaultKind kind)
{
    const FaultName* entry = entry_for(kind);
    if (entry == nullptr)
        return;
    log(LogTag::Boot, "fault injection: {}", entry->name);
    entry->trigger();
    // Only the breakpoint is meant to come back.
    if (kind == FaultKind::Breakpoint) {
        log(LogTag::Boot, "fault injection: survived the breakpoint");
        return;
    }
    PANIC("fault injection: '{}' did not fault", entry->name);
}

} // namespace kernel
