#pragma once

// A fault kind (fault=<kind> on the command line, `fault <kind>` at the
// console) is one definition beside its trigger:
//
//     FAULT_KIND(divide_by_zero, 1, "divide-by-zero", "#DE", FaultEnd::EndsTheBoot, trigger_divide_by_zero);
//
// FAULT_KIND places a pointer to it in the .fault_kinds section (as KTEST
// does with .kernel_tests, src/ktest/ktest.h); the registry
// (src/kernel/fault_registry.cpp) collects them at run time. There is no
// enum and no table to edit. The order number fixes where the kind appears
// in the lists printed to the user (the link order of the files does not).
// A kernel built with -Dfault_words=false links no trigger and so knows no
// kind.

#include <stdint.h>

namespace kernel {

enum class FaultEnd : uint8_t {
    EndsTheBoot, // the trigger does not come back: a report and a panic
    Survivable, // the trigger comes back and the boot carries on (#BP)
};

struct FaultKind {
    const char* name; // on the command line: fault=<name>
    const char* exercises; // the path it exercises, for the reader
    FaultEnd end;
    uint32_t order; // its place in the lists of kinds
    void (*trigger)();
};

} // namespace kernel

// The section holds pointers, not the kinds themselves, so entries pack
// whatever alignment the compiler picks for the struct (as in ktest.h).
// Built with -Dfault_words=false (RAYOS_FAULT_WORDS=0) a definition
// registers nothing; it still names its trigger, which the kernel tests may
// use.
#if !defined(RAYOS_FAULT_WORDS) || RAYOS_FAULT_WORDS
#define FAULT_KIND(identifier, order_number, kind_name, what, ending, trigger_function)                      \
    static constinit const ::kernel::FaultKind fault_kind_##identifier { kind_name, what,                    \
        ::kernel::FaultEnd::ending, order_number, trigger_function };                                        \
    [[gnu::used, gnu::section(".fault_kinds")]] static constinit const ::kernel::FaultKind* const            \
        fault_kind_entry_##identifier                                                                        \
        = &fault_kind_##identifier
#else
#define FAULT_KIND(identifier, order_number, kind_name, what, ending, trigger_function)                      \
    [[maybe_unused]] static constexpr void (*fault_kind_unregistered_##identifier)() = trigger_function
#endif
