#pragma once

// The kernel command line split into words: "key" or "key=value",
// separated by spaces or tabs. The grammar is the one GRUB writes into the
// Multiboot2 command-line tag (grub_create_loader_cmdline): a word with
// spaces is wrapped in double quotes, and \, ' and " are escaped with a
// backslash. So "key=a b" and key="a b" both give key 'key' with value
// 'a b'; \" is a literal quote and \= an '=' that does not split. Pure logic: the same code runs in the
// kernel and in the host tests.

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
    enum class Kind : uint8_t { TooLong, TooManyWords, EmptyKey, UnterminatedQuote, TrailingBackslash };
    Kind kind;
    size_t offset; // where in the original text the problem was found

    const char* describe() const;
};

class CommandLine {
public:
    static constexpr size_t kMaxLength = 4096;
    static constexpr size_t kMaxWords = 64;

    static Result<CommandLine, CommandLineError> parse(StringView text);

    size_t size() const { return m_word_count; }
    CommandLineWord operator[](size_t index) const;

    // The last word with this key, since a later word overrides an earlier
    // one; has_value false and an empty key when there is none.
    bool contains(StringView key) const;
    CommandLineWord find(StringView key) const;

private:
    // Offsets into m_text, not views: a copied CommandLine stays valid.
    struct Span {
        uint16_t start;
        uint16_t length;
    };
    struct Word {
        Span key;
        Span value;
        bool has_value;
    };

    StringView view(Span span) const { return StringView(m_text + span.start, span.length); }

    char m_text[kMaxLength]; // the words, unquoted and unescaped, back to back
    size_t m_text_length = 0;
    Word m_words[kMaxWords];
    size_t m_word_count = 0;
};

} // namespace lib
