#include "kernel/console.h"

#include <stdint.h>

#include "arch/cpu.h"
#include "arch/interrupts.h"
#include "drivers/pci.h"
#include "drivers/pit.h"
#include "drivers/ps2_keyboard.h"
#include "drivers/serial_input.h"
#include "kernel/fault_injection.h"
#include "kernel/log.h"
#include "ktest/runner.h"
#include "lib/format.h"
#include "lib/line_editor.h"
#include "mm/kernel_heap.h"
#include "mm/physical_memory.h"
#include "sched/thread_listing.h"

namespace kernel {
namespace {

constexpr lib::StringView kPrompt = "rayos> ";

struct Command {
    lib::StringView name;
    lib::StringView arguments; // for help
    lib::StringView summary;
    void (*run)(lib::StringView argument);
};

void show_help(lib::StringView argument);

void show_memory(lib::StringView)
{
    mm::HeapStatistics heap = mm::kernel_heap_statistics();
    log(LogTag::Raw, "heap: {}/{} bytes used, {} pages allocated; {} live blocks, peak {} bytes",
        heap.bytes_in_use, heap.bytes_held, heap.pages_held, heap.live_allocations, heap.peak_bytes_in_use);
    log(LogTag::Raw, "heap: {} allocations, {} frees, {} pages given back, {} metadata pages",
        heap.allocations, heap.frees, heap.pages_given_back, heap.metadata_pages);
    mm::FrameStatistics frames = mm::frame_statistics();
    log(LogTag::Raw, "frames: {} usable, {} free, {} used (4 KiB each)", frames.usable, frames.free,
        frames.used);
}

void show_cpu(lib::StringView)
{
    arch::log_cpu_identity();
    unsigned online = arch::cpu_count_online();
    log(LogTag::Raw, "cpu {}, APIC ID {}; {} CPU{} online", arch::current_cpu_index(),
        arch::current_apic_id(), online, online == 1 ? "" : "s");
    if (drivers::tick_source() != drivers::TickSource::LocalApicTimer)
        return;
    char counts[arch::kMaxCpus * 24];
    lib::BufferSink sink(counts, sizeof(counts));
    for (unsigned cpu = 0; cpu < online; ++cpu)
        lib::format_to(sink, cpu == 0 ? "{}:{}" : " {}:{}", cpu, arch::cpu_timer_ticks(cpu));
    log(LogTag::Raw, "local APIC timer ticks per CPU: {}", sink.view());
}

void show_uptime(lib::StringView)
{
    uint64_t ms = drivers::uptime_ms();
    log(LogTag::Raw, "up {}.{}{}{} s", ms / 1000, ms / 100 % 10, ms / 10 % 10, ms % 10);
}

void show_ticks(lib::StringView)
{
    log(LogTag::Raw, "{} ticks at {} Hz", drivers::timer_ticks(), drivers::timer_hz());
}

void show_threads(lib::StringView)
{
    sched::log_thread_table();
}

void show_pci(lib::StringView)
{
    drivers::print_pci_functions();
}

void run_tests(lib::StringView patterns)
{
    ktest::RunSummary summary = ktest::run_tests(patterns);
    log(LogTag::Raw, "tests: {} passed, {} failed, {} timed out", summary.passed, summary.failed,
        summary.timed_out);
}

void fault(lib::StringView kind)
{
    FaultLookup lookup = find_fault_kind(kind);
    if (!lookup.known) {
        log(LogTag::Raw, "fault: unknown kind '{}' (known: {})", kind, fault_kind_names());
        return;
    }
    inject_fault(*lookup.kind); // only a breakpoint comes back
}

void halt(lib::StringView)
{
    log(LogTag::Raw, "halted: interrupts off; only a reset leaves this");
    flush_log_screen();
    arch::halt_forever();
}

void reboot(lib::StringView)
{
    log(LogTag::Raw, "rebooting");
    drivers::reset_through_keyboard_controller();
    arch::halt_forever(); // a controller that ignores the pulse leaves us here
}

constexpr Command kCommands[] = {
    { "help", "", "this list", show_help },
    { "mem", "", "heap and frame statistics", show_memory },
    { "cpu", "", "CPU vendor, brand, features; this CPU's number and APIC ID", show_cpu },
    { "uptime", "", "time since the timer started", show_uptime },
    { "ticks", "", "timer ticks and rate", show_ticks },
    { "threads", "", "every thread: state, CPU, priority, run time", show_threads },
    { "pci", "", "every PCI function: IDs, class, BARs, capabilities", show_pci },
    { "tests", "[suite[.test],...]", "run kernel tests (all by default), KTAP", run_tests },
    { "fault", "<kind>", "fail on purpose, as fault= does", fault },
    { "halt", "", "stop the CPU", halt },
    { "reboot", "", "reset the machine", reboot },
};

void show_help(lib::StringView)
{
    for (const Command& command : kCommands)
        log(LogTag::Raw, "  {} {}  {}", command.name, command.arguments, command.summary);
}

lib::StringView trim(lib::StringView text)
{
    size_t start = 0, end = text.size();
    while (start < end && text[start] == ' ')
        ++start;
    while (end > start && text[end - 1] == ' ')
        --end;
    return text.substr(start, end - start);
}

void execute(lib::StringView line)
{
    line = trim(line);
    if (line.empty())
        return;
    size_t space = line.find(' ');
    lib::StringView name = space == lib::StringView::kNotFound ? line : line.substr(0, space);
    lib::StringView argument
        = space == lib::StringView::kNotFound ? lib::StringView() : trim(line.substr(space));
    for (const Command& command : kCommands) {
        if (command.name == name) {
            command.run(argument);
            return;
        }
    }
    log(LogTag::Raw, "unknown command '{}' (type help)", name);
}

void report_dropped_input()
{
    if (size_t dropped = drivers::take_serial_input_dropped())
        log(LogTag::Serial, "dropped {} bytes (input queue full)", dropped);
}

// The next byte from either terminal, waiting with the CPU halted. Input
// lost on the way marks the line being typed, so that it will not run.
char next_input(lib::LineEditor& editor)
{
    for (;;) {
        drivers::SerialByte byte {};
        if (drivers::read_serial_input(byte)) {
            if (byte.lost_before)
                editor.mark_input_lost();
            return static_cast<char>(byte.value);
        }
        char character = 0;
        if (drivers::read_keyboard_input(character))
            return character;
        flush_log_screen();
        arch::wait_for_interrupt();
    }
}

// A line that lost bytes is not what was typed: say so instead of running
// it. Drops are reported here, between a line's echo and its output, so no
// echo is cut in two.
void finish_line(const lib::LineEditor& editor)
{
    report_dropped_input();
    if (editor.overflowed())
        log(LogTag::Raw, "discarded: the line was over {} characters ({} more not kept); not run",
            lib::LineEditor::kCapacity, editor.bytes_past_capacity());
    else if (editor.input_lost())
        log(LogTag::Raw, "discarded '{}': bytes of this line were lost (input queue full); not run",
            editor.line());
    else
        execute(editor.line());
}

} // namespace

void run_console()
{
    log(LogTag::Boot, "console on COM1 and the keyboard: type help");
    lib::LineEditor editor;
    write_console(kPrompt);
    // After the too-long announcement the cursor starts a fresh line, and
    // Enter must not add an empty one.
    bool at_line_start = false;
    for (;;) {
        char byte = next_input(editor);
        switch (editor.feed(byte)) {
        case lib::LineEditor::Action::Echo:
            write_console(lib::StringView(&byte, 1));
            at_line_start = false;
            break;
        case lib::LineEditor::Action::Erase:
            write_console("\b \b");
            at_line_start = false;
            break;
        case lib::LineEditor::Action::Overflow:
            write_console("\n");
            log(LogTag::Raw, "line too long: {} characters at most; this line will not run",
                lib::LineEditor::kCapacity);
            at_line_start = true;
            break;
        case lib::LineEditor::Action::Complete:
            if (!at_line_start)
                write_console("\n");
            at_line_start = false;
            finish_line(editor);
            editor.clear();
            write_console(kPrompt);
            break;
        case lib::LineEditor::Action::Nothing:
            break;
        }
    }
}

} // namespace kernel
