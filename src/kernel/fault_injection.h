#pragma once

// Deliberate failures, chosen on the command line (fault=<kind>), for the
// boot tests and for people learning how a kernel fails. Each kind ends the
// boot through the path it exercises; none returns.

#include "lib/string_view.h"

namespace kernel {

enum class FaultKind : unsigned char {
    None,
    Panic, // the kernel's own panic path: [PANIC] message (file:line), failure exit
};

// The kind a command-line value names; known is false when it names none.
struct FaultLookup {
    FaultKind kind;
    bool known;
};
FaultLookup find_fault_kind(lib::StringView name);

// "panic, ..." : every kind's name, for messages that list what is accepted.
lib::StringView fault_kind_names();

[[noreturn]] void inject_fault(FaultKind kind);

} // namespace kernel
