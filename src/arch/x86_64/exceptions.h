#pragma once

// The CPU's 32 exception vectors: each ends in a report on serial (name,
// decoded error code, registers, control registers, a symbolized
// backtrace) and a panic, except #BP, which reports and returns.

#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"

namespace arch {

struct ExceptionInfo {
    const char* mnemonic; // "#PF"
    const char* name; // "Page Fault"
    bool has_error_code;
};

const ExceptionInfo& exception_info(uint64_t vector);

void handle_exception(InterruptFrame& frame);

} // namespace arch
