#include "kernel/log.h"
#include "ktest/ktest.h"

namespace ktest {

// Diagnostics sit at the test's depth in the KTAP tree: four spaces.
void Context::write_diagnostic(lib::StringView format, const lib::FormatArgument* arguments, size_t count)
{
    char text[256];
    lib::BufferSink sink(text, sizeof(text));
    lib::format_arguments(sink, format, arguments, count);
    kernel::log(kernel::LogTag::Raw, "    # {}", sink.view());
}

// A KTAP directive ends at the line's end: a newline or '#' in the reason
// would break the result line, so they become spaces.
void Context::write_skip_reason(lib::StringView format, const lib::FormatArgument* arguments, size_t count)
{
    lib::BufferSink sink(m_skip_reason, sizeof(m_skip_reason));
    lib::format_arguments(sink, format, arguments, count);
    for (char& c : m_skip_reason) {
        if (c == '\n' || c == '\r' || c == '#')
            c = ' ';
    }
    if (!skipped())
        m_skip_reason[0] = '?'; // an empty reason still marks the test skipped
}

void Context::check_failed(const char* file, int line, const char* check, const char* expression)
{
    check_failed(file, line, check, expression, nullptr, nullptr);
}

void Context::check_failed(const char* file, int line, const char* check, const char* expression,
    const char* left, const char* right)
{
    m_failed = true;
    if (expression != nullptr)
        diagnostic("{}({}) failed at {}:{}", check, expression, file, line);
    else
        diagnostic("{}({}, {}) failed at {}:{}", check, left, right, file, line);
}

} // namespace ktest
