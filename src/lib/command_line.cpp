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
    case Kind::TooManyWords:
        return "too many words";
    case Kind::EmptyKey:
        return "a word has a value but no key";
    case Kind::UnterminatedQuote:
        return "a quoted value has no closing quote";
    case Kind::TextAfterQuote:
        return "text follows a quoted value without a space";
    }
    return "unknown error";
}

Result<CommandLine, CommandLineError> CommandLine::parse(StringView text)
{
    using Kind = CommandLineError::Kind;
    CommandLine line;
    size_t i = 0;
    while (i < text.size()) {
        if (is_separator(text[i])) {
            ++i;
            continue;
        }
        size_t word_start = i;
        while (i < text.size() && !is_separator(text[i]) && text[i] != '=')
            ++i;
        CommandLineWord word{ text.substr(word_start, i - word_start), {}, false };

        if (i < text.size() && text[i] == '=') {
            ++i;
            word.has_value = true;
            if (i < text.size() && text[i] == '"') {
                size_t close = text.find('"', i + 1);
                if (close == StringView::npos)
                    return fail(CommandLineError{ Kind::UnterminatedQuote, text.substr(word_start) });
                word.value = text.substr(i + 1, close - i - 1);
                i = close + 1;
                if (i < text.size() && !is_separator(text[i])) {
                    while (i < text.size() && !is_separator(text[i]))
                        ++i;
                    return fail(CommandLineError{ Kind::TextAfterQuote,
                                                  text.substr(word_start, i - word_start) });
                }
            } else {
                size_t value_start = i;
                while (i < text.size() && !is_separator(text[i]))
                    ++i;
                word.value = text.substr(value_start, i - value_start);
            }
        }

        StringView whole_word = text.substr(word_start, i - word_start);
        if (word.key.empty())
            return fail(CommandLineError{ Kind::EmptyKey, whole_word });
        if (line.m_count == kMaxWords)
            return fail(CommandLineError{ Kind::TooManyWords, whole_word });
        line.m_words[line.m_count++] = word;
    }
    return line;
}

const CommandLineWord* CommandLine::find(StringView key) const
{
    for (size_t i = m_count; i > 0; --i) {
        if (m_words[i - 1].key == key)
            return &m_words[i - 1];
    }
    return nullptr;
}

} // namespace lib
