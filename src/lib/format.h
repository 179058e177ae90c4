#pragma once

// A small type-safe formatter in the style of std::format, for a kernel
// that has no printf. Arguments keep their C++ type (no varargs), so a
// pointer is never printed as an int or a string read from an integer.
//
// Placeholders: "{}" or "{:[[fill]align][#][0][width][type]}"
//   align  '<' left, '>' right, '^' centre (default: numbers right, text left)
//   '#'    0x / 0b / 0o prefix for x, X, b, o
//   '0'    pad numbers with zeros after the sign and prefix
//   type   d decimal, x X hex, b binary, o octal, c character, s string,
//          p pointer (0x and 16 hex digits; the default for pointers)
// "{{" and "}}" print braces. A malformed placeholder prints "{?}", a
// placeholder without an argument prints "{missing}": visible, never a crash.

#include <stddef.h>
#include <stdint.h>

#include "lib/string_view.h"
#include "lib/type_traits.h"

namespace lib {

// Where formatted text goes: the serial port, a log buffer, a test buffer.
class FormatSink {
public:
    virtual void put(char c) = 0;
    virtual void write(StringView text)
    {
        for (char c : text)
            put(c);
    }

protected:
    ~FormatSink() = default;
};

// Writes into a fixed array, drops what does not fit and keeps the text
// NUL-terminated.
class BufferSink final : public FormatSink {
public:
    BufferSink(char* buffer, size_t capacity)
        : m_buffer(buffer)
        , m_capacity(capacity)
    {
        if (m_capacity > 0)
            m_buffer[0] = '\0';
    }

    void put(char c) override
    {
        if (m_length + 1 < m_capacity) {
            m_buffer[m_length++] = c;
            m_buffer[m_length] = '\0';
        } else {
            m_truncated = true;
        }
    }

    StringView view() const { return StringView(m_buffer, m_length); }
    bool truncated() const { return m_truncated; }

private:
    char* m_buffer;
    size_t m_capacity;
    size_t m_length = 0;
    bool m_truncated = false;
};

// One argument with its type kept as a tag.
struct FormatArgument {
    enum class Kind : uint8_t { Signed, Unsigned, Boolean, Character, String, Pointer };

    Kind kind;
    union {
        int64_t signed_value;
        uint64_t unsigned_value;
        bool boolean;
        char character;
        const void* pointer;
        struct {
            const char* data;
            size_t size;
        } string;
    };
};

template <typename T>
FormatArgument make_format_argument(const T& value)
{
    using Decayed = RemoveCvReference<T>;
    FormatArgument argument {};
    if constexpr (SameAs<Decayed, bool>) {
        argument.kind = FormatArgument::Kind::Boolean;
        argument.boolean = value;
    } else if constexpr (SameAs<Decayed, char>) {
        argument.kind = FormatArgument::Kind::Character;
        argument.character = value;
    } else if constexpr (Enum<Decayed>) {
        return make_format_argument(static_cast<UnderlyingType<Decayed>>(value));
    } else if constexpr (SignedIntegral<Decayed>) {
        argument.kind = FormatArgument::Kind::Signed;
        argument.signed_value = value;
    } else if constexpr (Integral<Decayed>) {
        argument.kind = FormatArgument::Kind::Unsigned;
        argument.unsigned_value = value;
    } else if constexpr (SameAs<Decayed, StringView>) {
        argument.kind = FormatArgument::Kind::String;
        argument.string = { value.data(), value.size() };
    } else if constexpr (SameAs<Decayed, const char*> || SameAs<Decayed, char*>) {
        StringView view(value == nullptr ? "(null)" : value);
        argument.kind = FormatArgument::Kind::String;
        argument.string = { view.data(), view.size() };
    } else if constexpr (Array<Decayed> && SameAs<RemoveCv<RemoveExtent<Decayed>>, char>) {
        return make_format_argument(static_cast<const char*>(value));
    } else if constexpr (Pointer<Decayed> || NullPointer<Decayed>) {
        argument.kind = FormatArgument::Kind::Pointer;
        argument.pointer = value;
    } else {
        static_assert(sizeof(T) == 0, "lib::format has no formatting for this type");
    }
    return argument;
}

void format_arguments(
    FormatSink& sink, StringView format, const FormatArgument* arguments, size_t argument_count);

template <typename... Args>
void format_to(FormatSink& sink, StringView format, const Args&... args)
{
    if constexpr (sizeof...(Args) == 0) {
        format_arguments(sink, format, nullptr, 0);
    } else {
        const FormatArgument arguments[] = { make_format_argument(args)... };
        format_arguments(sink, format, arguments, sizeof...(Args));
    }
}

// Formats into buffer (always NUL-terminated) and returns the text written.
template <typename... Args>
StringView format_to_buffer(char* buffer, size_t capacity, StringView format, const Args&... args)
{
    BufferSink sink(buffer, capacity);
    format_to(sink, format, args...);
    return sink.view();
}

} // namespace lib
