#include "kernel/fault_injection.h"

#include "arch/fault_triggers.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "lib/format.h"

namespace kernel {
namespace {

struct FaultName {
    lib::StringView name;
    FaultKind kind;
};

constexpr FaultName kFaultNames[] = {
    { "panic", FaultKind::Panic },
    { "divide-by-zero", FaultKind::DivideByZero },
    { "invalid-opcode", FaultKind::InvalidOpcode },
    { "breakpoint", FaultKind::Breakpoint },
    { "general-protection", FaultKind::GeneralProtection },
    { "unmapped-read", FaultKind::UnmappedRead },
    { "null-pointer", FaultKind::NullPointer },
    { "read-only-write", FaultKind::ReadOnlyWrite },
    { "no-execute-fetch", FaultKind::NoExecuteFetch },
    { "stack-overflow", FaultKind::StackOverflow },
    { "nested", FaultKind::NestedFault },
};

lib::StringView name_of(FaultKind kind)
{
    for (const FaultName& entry : kFaultNames) {
        if (entry.kind == kind)
            return entry.name;
    }
    return "none";
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
    static char names[256];
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
    log(LogTag::Boot, "fault injection: {}", name_of(kind));
    switch (kind) {
    case FaultKind::None:
        return;
    case FaultKind::Panic:
        PANIC("fault injection: panic requested on the command line");
    case FaultKind::DivideByZero:
        arch::trigger_divide_by_zero();
        break;
    case FaultKind::InvalidOpcode:
        arch::trigger_invalid_opcode();
        break;
    case FaultKind::Breakpoint:
        arch::trigger_breakpoint();
        log(LogTag::Boot, "fault injection: survived the breakpoint");
        return;
    case FaultKind::GeneralProtection:
        arch::trigger_general_protection();
        break;
    case FaultKind::UnmappedRead:
        arch::trigger_unmapped_read();
        break;
    case FaultKind::NullPointer:
        arch::trigger_null_pointer_read();
        break;
    case FaultKind::ReadOnlyWrite:
        arch::trigger_read_only_write();
        break;
    case FaultKind::NoExecuteFetch:
        arch::trigger_no_execute_fetch();
        break;
    case FaultKind::StackOverflow:
        arch::trigger_stack_overflow();
        break;
    case FaultKind::NestedFault:
        arch::trigger_nested_fault();
        break;
    }
    PANIC("fault injection: '{}' did not fault", name_of(kind));
}

} // namespace kernel
