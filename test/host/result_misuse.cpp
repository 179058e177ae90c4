// The host tests' end for a misused lib::Result (src/lib/result.h): the
// kernel panics, a host test process says what happened and aborts, which a
// death test observes.

#include "lib/result.h"

#include <cstdio>
#include <cstdlib>

namespace lib {

void result_misuse(const char* what)
{
    std::fprintf(stderr, "lib::Result misuse: %s\n", what);
    std::abort();
}

} // namespace lib
