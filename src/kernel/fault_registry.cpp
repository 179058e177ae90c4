#include <stddef.h>

#include "arch/cpu.h"
#include "drivers/qemu_exit.h"
#include "kernel/cross_cpu_call.h"
#include "kernel/fault_injection.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "lib/format.h"

// Bounds of .fault_kinds (linker/kernel.ld): one pointer per FAULT_KIND.
extern "C" const kernel::FaultKind* const __fault_kinds_start[];
extern "C" const kernel::FaultKind* const __fault_kinds_end[];

namespace kernel {
namespace {

// The kind whose order number follows `after` most closely (the first when
// after is nullptr): the section holds them in link order, the user sees
// them in their order numbers'. A handful of kinds; no sorted copy needed.
const FaultKind* next_in_order(const FaultKind* after)
{
    const FaultKind* next = nullptr;
    for (const FaultKind* const* entry = __fault_kinds_start; entry != __fault_kinds_end; ++entry) {
        const FaultKind* kind = *entry;
        if (after != nullptr && kind->order <= after->order)
            continue;
        if (next == nullptr || kind->order < next->order)
            next = kind;
    }
    return next;
}

} // namespace

FaultLookup find_fault_kind(lib::StringView name)
{
    for (const FaultKind* const* entry = __fault_kinds_start; entry != __fault_kinds_end; ++entry) {
        if (lib::StringView((*entry)->name) == name)
            return { *entry, true };
    }
    return { nullptr, false };
}

lib::StringView fault_kind_names()
{
    // Built from the registry once, so the message never lists a stale set.
    static char names[1024];
    static lib::StringView joined;
    if (joined.empty()) {
        lib::BufferSink sink(names, sizeof(names));
        for (const FaultKind* kind = next_in_order(nullptr); kind != nullptr; kind = next_in_order(kind)) {
            if (!sink.view().empty())
                sink.write(", ");
            sink.write(kind->name);
        }
        joined = sink.view();
        if (joined.empty())
            joined = "none: built without fault words";
    }
    return joined;
}

namespace {

// A fault kind's trigger as a CPU job (kernel/cross_cpu_call.h).
void run_fault_trigger(void* kind)
{
    static_cast<const FaultKind*>(kind)->trigger();
}

} // namespace

void inject_fault(const FaultKind& kind, unsigned cpu)
{
    unsigned online = arch::cpu_count_online();
    if (cpu >= online) {
        log(LogTag::Boot,
            "fault injection: {} not injected: CPU {} does not exist ({} CPUs online, numbered from 0)",
            kind.name, cpu, online);
        drivers::qemu_exit(drivers::QemuExitCode::Failure);
    }
    if (cpu == arch::current_cpu_index()) {
        log(LogTag::Boot, "fault injection: {}", kind.name);
        kind.trigger();
    } else {
        log(LogTag::Boot, "fault injection: {} on CPU {}", kind.name, cpu);
        // The trigger runs as that CPU's job, from its idle loop: the
        // report and backtrace are the ones a fault there would give.
        run_on_cpus(CpuSet::just(cpu), run_fault_trigger, const_cast<FaultKind*>(&kind));
    }
    // Only a survivable kind (the breakpoint) is meant to come back.
    if (kind.end == FaultEnd::Survivable) {
        log(LogTag::Boot, "fault injection: survived the breakpoint");
        return;
    }
    PANIC("fault injection: '{}' did not fault", kind.name);
}

} // namespace kernel
