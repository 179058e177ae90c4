#pragma once

// The kernel command line split into words: "key" or "key=value",
// separated by spaces or tabs. The grammar is the one GRUB writes into the
// Multiboot2 command-line tag (grub_create_loader_cmdline): a word with
// spaces is wrapped in double quotes, and \, ' and " are escaped with a
// backslash. So "key=a b" and key="a b" both give key 'key' with value
// 'a b'; \" is a literal quote and \= an '=' that does not split. Pure logic: the same code runs in the
// kernel and in the host tests.
//
// A word the grammar cannot take is dropped alone and recorded, so one typo
// never costs the other words: "=value exit" still exits. A word that would
// pass the length limit or the word limit is dropped with everything after
// it, since the kernel has nowhere to keep them.

#include <stddef.h>
#include <stdint.h>

#include "lib/string_view.h"

namespace lib {

struct CommandLineWord {
    StringView key;
    StringView value;
    bool has_value = false;
};

// What parse() dropped, as a stretch of the original text.
struct CommandLineError {
    enum class Kind : uint8_t { TooLong, TooManyWords, EmptyKey, UnterminatedQuote, TrailingBackslash };
    Kind kind = Kind::EmptyKey;
    size_t offset = 0; // where the dropped text starts in the original
    size_t length = 0; // how many bytes of the original were dropped

    const char* describe() const;
};

class CommandLine {
public:
    static constexpr size_t kMaxLength = 4096;
    static constexpr size_t kMaxWords = 64;
    static constexpr size_t kMaxDroppedKept = 8; // more are counted, not kept

    // Never fails whole: see dropped() for what it could not take.
    static CommandLine parse(StringView text);

    size_t size() const { return m_word_count; }
    CommandLineWord operator[](size_t index) const;

    // The words (or tails) dropped, in order; the first kMaxDroppedKept of
    // dropped_count() are kept.
    size_t dropped_count() const { return m_dropped_count; }
    CommandLineError dropped(size_t index) const { return m_dropped[index]; }

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
    void drop(CommandLineError::Kind kind, size_t offset, size_t length);

    char m_text[kMaxLength]; // the words, unquoted and unescaped, back to back
    size_t m_text_length = 0;
    Word m_words[kMaxWords];
    size_t m_word_count = 0;
    CommandLineError m_dropped[kMaxDroppedKept];
    size_t m_dropped_count = 0;
};

} // namespace lib
