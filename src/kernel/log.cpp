#include "kernel/log.h"

#include "arch/cpu.h"
#include "drivers/framebuffer_console.h"
#include "drivers/uart16550.h"
#include "lib/atomic.h"
#include "sync/spinlock.h"

namespace kernel {
namespace {

drivers::Uart16550* g_console = nullptr;
drivers::FramebufferConsole* g_screen = nullptr;
// Keeps lines from the boot path and from interrupt handlers whole.
sync::Spinlock g_log_lock;
// Set by the fault and panic paths: the context that faulted may hold the
// lock, and waiting for it would hang the report.
lib::Atomic<bool> g_emergency = false;
// Held by the CPU drawing the screen; the log lock is not (drawing takes
// milliseconds, with interrupts on).
lib::Atomic<bool> g_screen_drawing = false;

// The last 16 KiB of everything written, kept in memory for a debugger
// (ci/gdb/rayos.py: rayos-log), from the first line on, console or not.
constexpr size_t kHistoryBytes = size_t { 16 } * 1024;
// used: only a debugger reads them, so the compiler must keep every store.
[[gnu::used]] char g_history[kHistoryBytes];
[[gnu::used]] uint64_t g_history_written = 0; // bytes ever written; the next goes at this modulo the size

void remember(lib::StringView text)
{
    for (char c : text)
        g_history[g_history_written++ % kHistoryBytes] = c;
}

class ConsoleSink final : public lib::FormatSink {
public:
    void put(char c) override
    {
        char text[1] = { c };
        write(lib::StringView(text, 1));
    }
    void write(lib::StringView text) override
    {
        remember(text);
        if (g_console != nullptr)
            g_console->write(text);
        if (g_screen != nullptr)
            g_screen->write(text);
    }
};

void write_line(
    LogTag tag, lib::StringView format, const lib::FormatArgument* arguments, size_t argument_count)
{
    ConsoleSink sink;
    if (tag != LogTag::Raw) {
        sink.put('[');
        sink.write(log_tag_name(tag));
        sink.write("] ");
    }
    lib::format_arguments(sink, format, arguments, argument_count);
    sink.put('\n');
}

} // namespace

const char* log_tag_name(LogTag tag)
{
    switch (tag) {
    case LogTag::Boot:
        return "BOOT";
    case LogTag::Cpu:
        return "CPU";
    case LogTag::Mem:
        return "MEM";
    case LogTag::Serial:
        return "SERIAL";
    case LogTag::Timer:
        return "TIMER";
    case LogTag::Acpi:
        return "ACPI";
    case LogTag::Apic:
        return "APIC";
    case LogTag::Kbd:
        return "KBD";
    case LogTag::Mouse:
        return "MOUSE";
    case LogTag::Fb:
        return "FB";
    case LogTag::Pci:
        return "PCI";
    case LogTag::Smp:
        return "SMP";
    case LogTag::Fault:
        return "FAULT";
    case LogTag::Panic:
        return "PANIC";
    case LogTag::Test:
        return "TEST";
    case LogTag::Lockdep:
        return "LOCKDEP";
    case LogTag::Bench:
        return "BENCH";
    case LogTag::Raw:
        return "";
    }
    return "?";
}

void set_log_console(drivers::Uart16550* console)
{
    g_console = console;
}

void set_log_screen(drivers::FramebufferConsole* screen)
{
    sync::SpinlockGuard guard(g_log_lock);
    // The history from its oldest whole line: when it has wrapped, its
    // first bytes are the end of a line whose start was overwritten.
    uint64_t start = g_history_written > kHistoryBytes ? g_history_written - kHistoryBytes : 0;
    if (start != 0) {
        while (start < g_history_written && g_history[start % kHistoryBytes] != '\n')
            ++start;
        ++start;
    }
    for (uint64_t i = start; i < g_history_written; ++i) {
        char c = g_history[i % kHistoryBytes];
        screen->write(lib::StringView(&c, 1));
    }
    g_screen = screen;
}

void flush_log_screen()
{
    if (g_screen == nullptr)
        return;
    if (g_emergency.load(lib::MemoryOrder::Relaxed)) {
        // The other CPUs are stopped, one perhaps in the middle of drawing:
        // redraw every cell over whatever it left.
        g_screen->forget_what_is_shown();
        if (g_screen->take_snapshot())
            g_screen->draw_snapshot();
        return;
    }
    // Another CPU drawing finishes first (milliseconds): then this flush
    // draws what came after, so nothing written before it is left out.
    while (g_screen_drawing.exchange(true))
        arch::cpu_relax();
    bool changed = false;
    {
        sync::SpinlockGuard guard(g_log_lock);
        changed = g_screen->take_snapshot();
    }
    if (changed)
        g_screen->draw_snapshot();
    g_screen_drawing.store(false);
}

void write_console(lib::StringView text)
{
    sync::SpinlockGuard guard(g_log_lock);
    ConsoleSink().write(text);
}

void enter_emergency_logging()
{
    g_emergency.store(true, lib::MemoryOrder::Relaxed);
}

void log_arguments(
    LogTag tag, lib::StringView format, const lib::FormatArgument* arguments, size_t argument_count)
{
    if (g_emergency.load(lib::MemoryOrder::Relaxed)) {
        write_line(tag, format, arguments, argument_count);
        return;
    }
    sync::SpinlockGuard guard(g_log_lock);
    write_line(tag, format, arguments, argument_count);
}

} // namespace kernel
