#pragma once

// Shell-style wildcard matching for selecting things by name (kernel tests
// on the command line): '*' matches any run of characters, '?' any one
// character, everything else itself. No character classes, no escapes.

#include "lib/string_view.h"

namespace lib {

bool glob_match(StringView pattern, StringView text);

} // namespace lib
