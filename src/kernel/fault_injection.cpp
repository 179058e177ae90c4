#include "kernel/fault_injection.h"

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
};

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
    switch (kind) {
    case FaultKind::Panic:
        log(LogTag::Boot, "fault injection: panic");
        PANIC("fault injection: panic requested on the command line");
    case FaultKind::None:
        break;
    }
    PANIC("fault injection called without a fault kind");
}

} // namespace kernel
