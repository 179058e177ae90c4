#include "lib/command_line.h"

namespace lib {
namespace {

bool is_separator(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

} // namespace

const char* CommandLineError::describe() const
{
    switch (kind) {
    case Kind::TooLong:
        return "the line is longer than the kernel keeps (4096 bytes)";
    case Kind::TooManyWords:
        return "more words than the kernel keeps (64)";
    case Kind::EmptyKey:
        return "a value without a key";
    case Kind::UnterminatedQuote:
        return "a quote that is never closed";
    case Kind::TrailingBackslash:
        return "a lone backslash at the end";
    }
    return "unknown error";
}

void CommandLine::drop(CommandLineError::Kind kind, size_t offset, size_t length)
{
    if (m_dropped_count < kMaxDroppedKept)
        m_dropped[m_dropped_count] = { kind, offset, length };
    ++m_dropped_count;
}

CommandLine CommandLine::parse(StringView text)
{
    using Kind = CommandLineError::Kind;
    CommandLine line;
    size_t i = 0;
    while (i < text.size()) {
        if (is_separator(text[i])) {
            ++i;
            continue;
        }
        size_t word_offset = i;
        if (line.m_word_count == kMaxWords) {
            line.drop(Kind::TooManyWords, word_offset, text.size() - word_offset);
            break;
        }

        // Copy one word into m_text, dropping quotes and escapes. The text
        // never grows, so a word that ends inside the first kMaxLength bytes
        // of the original fits.
        size_t start = line.m_text_length;
        size_t equals = SIZE_MAX; // first '=' that was not escaped
        bool quoted = false;
        bool trailing_backslash = false;
        for (; i < text.size() && (quoted || !is_separator(text[i])) && i < kMaxLength; ++i) {
            char c = text[i];
            if (c == '"') {
                quoted = !quoted;
                continue;
            }
            if (c == '\\') {
                if (i + 1 == text.size()) {
                    trailing_backslash = true;
                    break;
                }
                c = text[++i];
            } else if (c == '=' && equals == SIZE_MAX) {
                equals = line.m_text_length;
            }
            line.m_text[line.m_text_length++] = c;
        }

        // A word that cannot be taken is dropped; a problem that makes the
        // rest of the line unreadable drops the rest too.
        bool word_ended = i == text.size() || (!quoted && is_separator(text[i]));
        bool drop = true;
        Kind problem = Kind::EmptyKey;
        if (trailing_backslash)
            problem = Kind::TrailingBackslash;
        else if (!word_ended)
            problem = Kind::TooLong;
        else if (quoted)
            problem = Kind::UnterminatedQuote;
        else
            drop = equals == start;
        if (drop) {
            line.m_text_length = start;
            bool takes_the_rest = problem != Kind::EmptyKey;
            line.drop(problem, word_offset, (takes_the_rest ? text.size() : i) - word_offset);
            if (takes_the_rest)
                break;
            continue;
        }

        auto span = [](size_t from, size_t to) { return Span { uint16_t(from), uint16_t(to - from) }; };
        Word& word = line.m_words[line.m_word_count];
        if (equals == SIZE_MAX)
            word = { span(start, line.m_text_length), span(line.m_text_length, line.m_text_length), false };
        else
            word = { span(start, equals), span(equals + 1, line.m_text_length), true };
        ++line.m_word_count;
    }
    return line;
}

CommandLineWord CommandLine::operator[](size_t index) const
{
    const Word& word = m_words[index];
    return { view(word.key), view(word.value), word.has_value };
}

bool CommandLine::contains(StringView key) const
{
    return !find(key).key.empty();
}

CommandLineWord CommandLine::find(StringView key) const
{
    for (size_t i = m_word_count; i > 0; --i) {
        if (view(m_words[i - 1].key) == key)
            return (*this)[i - 1];
    }
    return {};
}

} // namespace lib
