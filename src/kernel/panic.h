#pragma once

// The one way a fatal error ends: "[PANIC] <message> (file:line)" on the
// console, then QEMU's failure exit, then a halt where that device is absent.
// For broken invariants and for input the kernel cannot boot with; the
// message names what was wrong.

#include "lib/format.h"

namespace kernel {

[[noreturn]] void panic_arguments(const char* file, int line, lib::StringView format,
    const lib::FormatArgument* arguments, size_t argument_count);

template <typename... Args>
[[noreturn]] void panic_at(const char* file, int line, lib::StringView format, const Args&... args)
{
    if constexpr (sizeof...(Args) == 0) {
        panic_arguments(file, line, format, nullptr, 0);
    } else {
        const lib::FormatArgument arguments[] = { lib::make_format_argument(args)... };
        panic_arguments(file, line, format, arguments, sizeof...(Args));
    }
}

} // namespace kernel

#define PANIC(...) ::kernel::panic_at(__FILE__, __LINE__, __VA_ARGS__)
