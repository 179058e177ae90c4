#include "sync/lock_validator.h"

#include "arch/backtrace.h"
#include "arch/cpu.h"
#include "arch/interrupts.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/symbols.h"
#include "lib/atomic.h"
#include "lib/format.h"
#include "sync/interrupt_guard.h"
#include "sync/lock_class_table.h"
#include "sync/lock_order_graph.h"

namespace sync {
namespace {

using kernel::log;
using kernel::LogTag;
using validator::g_lockdep_enabled;

// What the validator knows of a class beyond its key.
struct ClassRecord {
    LockSite in_interrupt_handler; // first acquisition in one (file nullptr: none)
    LockSite with_interrupts_on; // first by a kind that leaves them on
    bool interrupt_use_reported = false;
};

// LockdepReportAction as its number (lib::Atomic holds integers).
lib::Atomic<uint8_t> g_action = static_cast<uint8_t>(LockdepReportAction::Panic);
lib::Atomic<uint64_t> g_reports = 0;
lib::Atomic<uint64_t> g_acknowledged = 0;

HeldLockStack g_cpu_spinlocks[arch::kMaxCpus];
// Set while the CPU runs the validator: the locks a report takes (the
// log's) and those an NMI takes meanwhile are recorded, not checked.
bool g_validating[arch::kMaxCpus];

// The class table and the graph, behind a raw lock of their own (not a
// Spinlock: it must not validate itself). Held only for table work, never
// while printing, so a CPU waiting here never holds up a report.
lib::Atomic<bool> g_graph_lock = false;
LockClassTable g_class_table;
ClassRecord g_classes[kMaxLockClasses];
LockOrderGraph g_graph;

class GraphLockGuard {
public:
    GraphLockGuard()
    {
        while (g_graph_lock.exchange(true, lib::MemoryOrder::Acquire)) {
            while (g_graph_lock.load(lib::MemoryOrder::Relaxed))
                arch::cpu_relax();
        }
    }
    ~GraphLockGuard() { g_graph_lock.store(false, lib::MemoryOrder::Release); }
    GraphLockGuard(const GraphLockGuard&) = delete;
    GraphLockGuard& operator=(const GraphLockGuard&) = delete;
};

class ValidatingGuard {
public:
    explicit ValidatingGuard(unsigned cpu)
        : m_cpu(cpu)
    {
        g_validating[m_cpu] = true;
    }
    ~ValidatingGuard() { g_validating[m_cpu] = false; }
    ValidatingGuard(const ValidatingGuard&) = delete;
    ValidatingGuard& operator=(const ValidatingGuard&) = delete;

private:
    unsigned m_cpu;
};

void turn_off(lib::StringView why)
{
    if (g_lockdep_enabled.exchange(false))
        log(LogTag::Lockdep, "{}: lock-order validator off from here on", why);
}

// The key's class number, registering the class on its first acquisition;
// 0 when the table is full (the validator is then off).
uint16_t class_of(LockClassKey& key)
{
    if (key.class_index != 0)
        return key.class_index;
    bool full = false;
    {
        GraphLockGuard guard;
        key.class_index = g_class_table.find_or_add(key);
        full = key.class_index == 0;
    }
    if (full)
        turn_off("lock class table full");
    return key.class_index;
}

// "name (declared at file:line)", or the declaration alone.
LockClassText label_of(const LockClassKey& key)
{
    LockClassText label;
    if (key.name != nullptr)
        lib::format_to_buffer(label.text, sizeof(label.text), "{} (declared at {}:{})", key.name,
            key.declared.file, key.declared.line);
    else
        lib::format_to_buffer(
            label.text, sizeof(label.text), "lock declared at {}:{}", key.declared.file, key.declared.line);
    return label;
}

const char* short_name(const LockClassKey& key, LockClassText& buffer)
{
    if (key.name != nullptr)
        return key.name;
    lib::format_to_buffer(buffer.text, sizeof(buffer.text), "{}:{}", key.declared.file, key.declared.line);
    return buffer.text;
}

void log_acquisition_backtrace(const Acquisition& acquired)
{
    for (size_t i = 0; i < acquired.frame_count; ++i) {
        uint64_t address = acquired.frames[i];
        lib::SymbolLocation location = kernel::kernel_symbols().find(address - 1);
        if (location.found)
            log(LogTag::Lockdep, "  #{} {:#018x} {}+{:#x}", i, address,
                kernel::kernel_symbols().name_of(location).view(), location.offset + 1);
        else
            log(LogTag::Lockdep, "  #{} {:#018x} (no symbol)", i, address);
    }
}

// The frame of the validator's entry point (validate_acquisition,
// release_not_held) on this CPU: backtraces start at its caller, the
// lock's code, whatever was inlined where.
uint64_t g_entry_frame[arch::kMaxCpus];

Acquisition capture_acquisition(LockSite site)
{
    Acquisition acquired;
    acquired.site = site;
    acquired.frame_count = static_cast<uint8_t>(
        arch::capture_callers(g_entry_frame[arch::current_cpu_index()], acquired.frames, kAcquisitionFrames));
    return acquired;
}

// Counts the report; outside a kernel test, the boot ends here.
void conclude_report(const char* what)
{
    g_reports.fetch_add(1);
    if (g_action.load() == static_cast<uint8_t>(LockdepReportAction::Panic))
        PANIC("lockdep: {} (see the [LOCKDEP] report above)", what);
}

void report_recursion(const LockClassKey& key, const HeldLock& held, LockSite site)
{
    LockClassText label = label_of(key);
    log(LogTag::Lockdep,
        "recursive locking: {} taken at {}:{} on CPU {}, but this context holds it since {}:{}", label.text,
        site.file, site.line, arch::current_cpu_index(), held.acquired.site.file, held.acquired.site.line);
    log(LogTag::Lockdep, "held since:");
    log_acquisition_backtrace(held.acquired);
    log(LogTag::Lockdep, "taken again:");
    log_acquisition_backtrace(capture_acquisition(site));
    conclude_report("recursive locking");
}

void report_release_not_held(const LockClassKey& key, LockSite site)
{
    LockClassText label = label_of(key);
    log(LogTag::Lockdep, "releasing a lock not held: {} released at {}:{} on CPU {}", label.text, site.file,
        site.line, arch::current_cpu_index());
    log_acquisition_backtrace(capture_acquisition(site));
    conclude_report("releasing a lock not held");
}

// What a deadlock report needs, copied out of the graph under its lock.
struct CycleReport {
    LockOrder closing; // held, then taken here
    size_t length = 0; // the earlier path from taken back to held
    LockOrder earlier[4];
};
constexpr size_t kReportedPathEdges = sizeof(CycleReport::earlier) / sizeof(CycleReport::earlier[0]);

void report_cycle(const CycleReport& cycle)
{
    const LockClassKey& held = g_class_table.key_of(cycle.closing.before);
    const LockClassKey& taken = g_class_table.key_of(cycle.closing.after);
    const LockOrder& last
        = cycle.earlier[cycle.length < kReportedPathEdges ? cycle.length - 1 : kReportedPathEdges - 1];
    LockClassText held_buffer, taken_buffer;
    const char* held_name = short_name(held, held_buffer);
    const char* taken_name = short_name(taken, taken_buffer);
    log(LogTag::Lockdep,
        "possible deadlock: {} ({}:{}) then {} ({}:{}) here, but {} then {} at {}:{} earlier", held_name,
        cycle.closing.before_acquired.site.file, cycle.closing.before_acquired.site.line, taken_name,
        cycle.closing.after_acquired.site.file, cycle.closing.after_acquired.site.line, taken_name, held_name,
        last.after_acquired.site.file, last.after_acquired.site.line);
    LockClassText label = label_of(held);
    log(LogTag::Lockdep, "held: {}, taken at {}:{} on CPU {}:", label.text,
        cycle.closing.before_acquired.site.file, cycle.closing.before_acquired.site.line,
        arch::current_cpu_index());
    log_acquisition_backtrace(cycle.closing.before_acquired);
    label = label_of(taken);
    log(LogTag::Lockdep, "then taking: {}, at {}:{}:", label.text, cycle.closing.after_acquired.site.file,
        cycle.closing.after_acquired.site.line);
    log_acquisition_backtrace(cycle.closing.after_acquired);
    for (size_t i = 0; i < cycle.length && i < kReportedPathEdges; ++i) {
        const LockOrder& edge = cycle.earlier[i];
        LockClassText before_name, after_name;
        log(LogTag::Lockdep, "earlier: {} taken at {}:{}, then {} at {}:{}:",
            short_name(g_class_table.key_of(edge.before), before_name), edge.before_acquired.site.file,
            edge.before_acquired.site.line, short_name(g_class_table.key_of(edge.after), after_name),
            edge.after_acquired.site.file, edge.after_acquired.site.line);
        log(LogTag::Lockdep, "first held:");
        log_acquisition_backtrace(edge.before_acquired);
        log(LogTag::Lockdep, "then taken:");
        log_acquisition_backtrace(edge.after_acquired);
    }
    if (cycle.length > kReportedPathEdges)
        log(LogTag::Lockdep, "({} more orders in the cycle not shown)", cycle.length - kReportedPathEdges);
    conclude_report("possible deadlock");
}

// Records "held, then class" for each lock held; reports the first order
// that closes a cycle.
void check_orders(const HeldLockStack& held, uint16_t lock_class, LockSite site)
{
    bool captured = false;
    Acquisition now;
    for (size_t i = 0; i < held.recorded(); ++i) {
        const HeldLock& entry = held.entry(i);
        if (entry.lock == nullptr || entry.key == nullptr || entry.key->class_index == 0)
            continue;
        uint16_t before = entry.key->class_index;
        if (before == lock_class)
            continue; // two locks of one class: their order is not checked
        {
            GraphLockGuard guard;
            if (g_graph.find(before, lock_class) != nullptr)
                continue;
        }
        if (!captured) {
            now = capture_acquisition(site);
            captured = true;
        }
        LockOrder order { before, lock_class, entry.acquired, now };
        CycleReport cycle;
        bool closes_cycle = false;
        LockOrderGraph::Added added;
        {
            GraphLockGuard guard;
            static LockOrderGraph::Path path;
            closes_cycle = g_graph.find_path(lock_class, before, path);
            if (closes_cycle) {
                cycle.closing = order;
                cycle.length = path.length;
                for (size_t e = 0; e < path.length && e < kReportedPathEdges; ++e)
                    cycle.earlier[e] = *path.edges[e];
            }
            added = g_graph.add(order);
        }
        if (added == LockOrderGraph::Added::Full) {
            turn_off("lock order graph full");
            return;
        }
        if (closes_cycle) {
            report_cycle(cycle);
            return;
        }
    }
}

// A class taken in an interrupt handler and, elsewhere, by a kind that
// leaves interrupts on: the handler can interrupt the holder on its own
// CPU and spin on the lock for good.
// interrupts_on: taken by a kind that leaves them on, while they were.
void check_interrupt_use(uint16_t lock_class, bool interrupts_on, LockSite site)
{
    bool in_handler = arch::in_interrupt_handler();
    if (!in_handler && !interrupts_on)
        return;
    LockSite handler_site, interrupts_on_site;
    {
        GraphLockGuard guard;
        ClassRecord& record = g_classes[lock_class];
        if (in_handler && record.in_interrupt_handler.file == nullptr)
            record.in_interrupt_handler = site;
        if (interrupts_on && record.with_interrupts_on.file == nullptr)
            record.with_interrupts_on = site;
        if (record.interrupt_use_reported || record.in_interrupt_handler.file == nullptr
            || record.with_interrupts_on.file == nullptr)
            return;
        record.interrupt_use_reported = true;
        handler_site = record.in_interrupt_handler;
        interrupts_on_site = record.with_interrupts_on;
    }
    LockClassText label = label_of(g_class_table.key_of(lock_class));
    log(LogTag::Lockdep,
        "interrupt-unsafe lock: {} taken with interrupts on at {}:{}, and in an interrupt handler at {}:{}",
        label.text, interrupts_on_site.file, interrupts_on_site.line, handler_site.file, handler_site.line);
    log_acquisition_backtrace(capture_acquisition(site));
    conclude_report("interrupt-unsafe lock");
}

} // namespace

HeldLockStack& this_cpu_spinlocks()
{
    return g_cpu_spinlocks[arch::current_cpu_index()];
}

constinit lib::Atomic<bool> validator::g_lockdep_enabled = true;

bool validator::validate_acquisition(
    HeldLockStack& held, LockClassKey& key, const void* lock, LockKind kind, LockSite site)
{
    bool interrupts_on = arch::interrupts_enabled();
    // A sleeping lock's caller has interrupts on: off here, so that the
    // thread stays on this CPU while it validates and never holds the
    // graph's lock when an interrupt handler on this CPU wants it.
    InterruptGuard interrupts_off;
    unsigned cpu = arch::current_cpu_index();
    if (g_validating[cpu])
        return true;
    ValidatingGuard validating(cpu);
    g_entry_frame[cpu] = reinterpret_cast<uint64_t>(__builtin_frame_address(0));
    if (const HeldLock* previous = held.find(lock); previous != nullptr && !previous->recursive) {
        report_recursion(key, *previous, site);
        return false;
    }
    uint16_t lock_class = class_of(key);
    if (lock_class == 0)
        return true;
    check_interrupt_use(lock_class, kind == LockKind::NoIrqSpinlock && interrupts_on, site);
    check_orders(held, lock_class, site);
    return true;
}

void lock_acquired(
    HeldLockStack& held, const LockClassKey& key, const void* lock, LockSite site, LockAcquired how)
{
    HeldLock* entry = held.push(lock, &key, how == LockAcquired::Recursively, site);
    bool enabled = g_lockdep_enabled.load(lib::MemoryOrder::Relaxed);
    if (entry == nullptr) {
        if (enabled)
            turn_off("held-lock stack full");
        return;
    }
    // The backtrace only for the validator's reports; the record itself
    // is always kept, for might_sleep().
    if (enabled && !g_validating[arch::current_cpu_index()])
        entry->acquired.frame_count = static_cast<uint8_t>(
            arch::capture_callers(reinterpret_cast<uint64_t>(__builtin_frame_address(0)),
                entry->acquired.frames, kAcquisitionFrames));
}

bool validator::release_not_held(const LockClassKey& key, LockSite site)
{
    InterruptGuard interrupts_off; // as in validate_acquisition
    unsigned cpu = arch::current_cpu_index();
    if (!g_lockdep_enabled.load(lib::MemoryOrder::Relaxed) || g_validating[cpu])
        return true;
    ValidatingGuard validating(cpu);
    g_entry_frame[cpu] = reinterpret_cast<uint64_t>(__builtin_frame_address(0));
    report_release_not_held(key, site);
    return false;
}

size_t spinlocks_held()
{
    return this_cpu_spinlocks().depth();
}

const HeldLock* innermost_spinlock_held()
{
    return this_cpu_spinlocks().innermost();
}

bool lockdep_enabled()
{
    return g_lockdep_enabled.load();
}

void set_lockdep_enabled(bool enabled)
{
    g_lockdep_enabled.store(enabled);
}

void set_lockdep_report_action(LockdepReportAction action)
{
    g_action.store(static_cast<uint8_t>(action));
}

uint64_t lockdep_reports()
{
    return g_reports.load();
}

uint64_t lockdep_unacknowledged_reports()
{
    return g_reports.load() - g_acknowledged.load();
}

void lockdep_acknowledge_reports()
{
    g_acknowledged.store(g_reports.load());
}

void lockdep_forget_class(const LockClassKey& key)
{
    if (key.class_index == 0)
        return;
    GraphLockGuard guard;
    g_graph.forget(key.class_index);
    ClassRecord& record = g_classes[key.class_index];
    record.in_interrupt_handler = {};
    record.with_interrupts_on = {};
    record.interrupt_use_reported = false;
}

LockClassText describe_lock_class(const LockClassKey& key)
{
    return label_of(key);
}

} // namespace sync
