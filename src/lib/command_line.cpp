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
        return "longer than the kernel keeps (4096 bytes)";
    case Kind::TooManyWords:
        return "more words than the kernel keeps (64)";
    case Kind::EmptyKey:
        return "a word has a value but no key";
    case Kind::UnterminatedQuote:
        return "a quote is not closed";
    case Kind::TrailingBackslash:
        return "it ends with a lone backslash";
    }
    return "unknown error";
}

Result<CommandLine, CommandLineError> CommandLine::parse(StringView text)
{
    using Kind = CommandLineError::Kind;
    if (text.size() > kMaxLength)
        return fail(CommandLineError { Kind::TooLong, kMaxLength });

    CommandLine line;
    size_t i = 0;
    while (i < text.size()) {
        if (is_separator(text[i])) {
            ++i;
            continue;
        }
        if (line.m_word_count == kMaxWords)
            return fail(CommandLineError { Kind::TooManyWords, i });

        // Copy one word into m_text, dropping quotes and escapes; the text
        // never grows, so it always fits.
        size_t word_offset = i;
        size_t start = line.m_text_length;
        size_t equals = SIZE_MAX; // first '=' that was not escaped
        bool quoted = false;
        for (; i < text.size() && (quoted || !is_separator(text[i])); ++i) {
            char c = text[i];
            if (c == '"') {
                quoted = !quoted;
                continue;
            }
            if (c == '\\') {
                if (i + 1 == text.size())
                    return fail(CommandLineError { Kind::TrailingBackslash, i });
                c = text[++i];
            } else if (c == '=' && equals == SIZE_MAX) {
                equals = line.m_text_length;
            }
            line.m_text[line.m_text_length++] = c;
        }
        if (quoted)
            return fail(CommandLineError { Kind::UnterminatedQuote, word_offset });

        auto span = [](size_t from, size_t to) { return Span { uint16_t(from), uint16_t(to - from) }; };
        Word& word = line.m_words[line.m_word_count];
        if (equals == SIZE_MAX) {
            word = { span(start, line.m_text_length), span(line.m_text_length, line.m_text_length), false };
        } else {
            if (equals == start)
                return fail(CommandLineError { Kind::EmptyKey, word_offset });
            word = { span(start, equals), span(equals + 1, line.m_text_length), true };
        }
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
