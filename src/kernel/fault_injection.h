#pragma once

// Deliberate failures, chosen on the command line (fault=<kind>), for the
// boot tests and for people learning how a kernel fails. Each kind ends the
// boot through the path it exercises, except the survivable breakpoint.

#include "lib/string_view.h"

namespace kernel {

enum class FaultKind : unsigned char {
    None,
    Panic, // the kernel's own panic path: [PANIC] message (file:line), failure exit
    DivideByZero, // #DE
    InvalidOpcode, // #UD
    Breakpoint, // #BP: reported, and the boot carries on
    GeneralProtection, // #GP: a non-canonical address
    UnmappedRead, // #PF: a read of an address that was never mapped
    NullPointer, // #PF: a read of address 0
    ReadOnlyWrite, // #PF: a write to the kernel's rodata
    NoExecuteFetch, // #PF: an instruction fetch from .data
    StackOverflow, // #DF on its own stack, after the kernel stack hits its guard page
    NestedFault, // a #UD whose report faults: the nested-exception panic
    CorruptFramePointer, // #UD with RBP pointing nowhere: the report's backtrace stops, no second fault
    StackSmash, // the stack protector: a canary overwritten, [PANIC] naming the function
    UbsanSignedOverflow, // UBSan: each a [PANIC] naming the kind of UB at its file:line
    UbsanShift,
    UbsanMisaligned,
    UbsanOutOfBounds,
    UbsanNull,
    UbsanUnreachable,
    UbsanInvalidBool,
    UbsanDivisionByZero,
    ReadOnlyAfterInitWrite, // #PF: a write to data sealed read-only after boot (the stack guard)
    HeapExecute, // #PF: an instruction fetch from a heap block (no-execute)
    UseAfterFree, // heap panic: freed memory written, caught on reuse
    DoubleFree, // heap panic
    ForeignFree, // heap panic: a pointer the heap never returned
    HeaderOverwrite, // heap panic: a live block's header damaged
};

// The kind a command-line value names; known is false when it names none.
struct FaultLookup {
    FaultKind kind;
    bool known;
};
FaultLookup find_fault_kind(lib::StringView name);

// "panic, ..." : every kind's name, for messages that list what is accepted.
lib::StringView fault_kind_names();

// Every kind but Breakpoint ends the boot; Breakpoint returns.
void inject_fault(FaultKind kind);
constexpr bool fault_ends_the_boot(FaultKind kind)
{
    return kind != FaultKind::None && kind != FaultKind::Breakpoint;
}

} // namespace kernel
