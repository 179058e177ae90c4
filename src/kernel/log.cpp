#include "kernel/log.h"

#include "drivers/uart16550.h"

namespace kernel {
namespace {

drivers::Uart16550* g_console = nullptr;

class ConsoleSink final : public lib::FormatSink {
public:
    void put(char c) override
    {
        char text[1] = { c };
        write(lib::StringView(text, 1));
    }
    void write(lib::StringView text) override
    {
        if (g_console != nullptr)
            g_console->write(text);
    }
};

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
    case LogTag::Kbd:
        return "KBD";
    case LogTag::Fault:
        return "FAULT";
    case LogTag::Panic:
        return "PANIC";
    }
    return "?";
}

void set_log_console(drivers::Uart16550* console)
{
    g_console = console;
}

void log_arguments(
    LogTag tag, lib::StringView format, const lib::FormatArgument* arguments, size_t argument_count)
{
    // Interrupts are still off for the whole boot; the interrupts issue adds
    // the lock that keeps lines from different contexts apart.
    ConsoleSink sink;
    sink.put('[');
    sink.write(log_tag_name(tag));
    sink.write("] ");
    lib::format_arguments(sink, format, arguments, argument_count);
    sink.put('\n');
}

} // namespace kernel
