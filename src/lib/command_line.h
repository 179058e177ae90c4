#pragma once

// The kernel command line split into words: "key" or "key=value", separated
// by spaces or tabs. A value may be double-quoted to hold spaces
// (key="a b"). Pure logic, so the same code runs in the kernel and in the
// host tests.

#include <stddef.h>
#include <stdint.h>

#include "lib/result.h"
#include "lib/string_view.h"

namespace lib {

struct CommandLineWord {
    StringView key;
    StringView value;
    bool has_value = false;
};

struct CommandLineError {
    enum class Kind : uint8_t { TooManyWords, EmptyKey, UnterminatedQuote, TextAfterQuote };
    Kind kind;
    StringView word; // the word at fault, as it appeared

    const char* describe() const;
};

class CommandLine {
public:
    static constexpr size_t kMaxWords = 32;

    static Result<CommandLine, CommandLineError> parse(StringView text);

    size_t size() const { return m_count; }
    const CommandLineWord& operator[](size_t index) const { return m_words[index]; }
    const CommandLineWord* begin() const { return m_words; }
    const CommandLineWord* end() const { return m_words + m_count; }

    // The last word with this key, since a later word overrides an earlier one.
    const CommandLineWord* find(StringView key) const;

private:
    CommandLineWord m_words[kMaxWords];
    size_t m_count = 0;
};

} // namespace lib
