// The kernel's end for a misused lib::Result (src/lib/result.h): a panic
// whose backtrace names the caller that read the side that was not there.

#include "lib/result.h"

#include "kernel/panic.h"

namespace lib {

void result_misuse(const char* what)
{
    PANIC("lib::Result misuse: {}", what);
}

} // namespace lib
