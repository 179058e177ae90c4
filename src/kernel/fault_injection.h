#pragma once

// Deliberate failures, chosen on the command line (fault=<kind>), for the
// boot tests and for people learning how a kernel fails. Each kind ends the
// boot through the path it exercises, except the survivable breakpoint.
// The kinds register themselves beside their triggers (kernel/fault_kind.h).

#include "kernel/fault_kind.h"
#include "lib/string_view.h"

namespace kernel {

// The kind a command-line value names; known is false when it names none
// (kind is then nullptr).
struct FaultLookup {
    const FaultKind* kind;
    bool known;
};
FaultLookup find_fault_kind(lib::StringView name);

// "panic, ..." : every kind's name in the kinds' order, for messages that
// list what is accepted; "none: built without fault words" in a kernel
// built with -Dfault_words=false.
lib::StringView fault_kind_names();

// Every kind but the survivable ones ends the boot; those return.
// cpu: the CPU that runs the trigger (the boot word fault_cpu=<n>); one
// that is not online is named and ends the boot with the failure exit.
void inject_fault(const FaultKind& kind, unsigned cpu = 0);
constexpr bool fault_ends_the_boot(const FaultKind* kind)
{
    return kind != nullptr && kind->end == FaultEnd::EndsTheBoot;
}

} // namespace kernel
