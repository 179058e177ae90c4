#pragma once

// A non-owning view of characters. The kernel cannot use std::string_view:
// its members throw (and so pull in hosted runtime code) on bad positions.
// Here every position is clamped instead.

#include <stddef.h>

namespace lib {

class StringView {
public:
    constexpr StringView() = default;
    constexpr StringView(const char* data, size_t size)
        : m_data(data)
        , m_size(size)
    {
    }
    // Implicit on purpose: string literals and C strings are views.
    constexpr StringView(const char* c_string)
        : m_data(c_string)
        , m_size(length_of(c_string))
    {
    }

    constexpr const char* data() const { return m_data; }
    constexpr size_t size() const { return m_size; }
    constexpr bool empty() const { return m_size == 0; }
    constexpr char operator[](size_t index) const { return m_data[index]; }
    constexpr const char* begin() const { return m_data; }
    constexpr const char* end() const { return m_data + m_size; }

    static constexpr size_t kNotFound = static_cast<size_t>(-1);

    constexpr StringView substr(size_t start, size_t count = kNotFound) const
    {
        if (start > m_size)
            start = m_size;
        size_t rest = m_size - start;
        return StringView(m_data + start, count < rest ? count : rest);
    }

    constexpr size_t find(char wanted, size_t from = 0) const
    {
        for (size_t i = from; i < m_size; ++i) {
            if (m_data[i] == wanted)
                return i;
        }
        return kNotFound;
    }

    constexpr bool starts_with(StringView prefix) const
    {
        return prefix.m_size <= m_size && substr(0, prefix.m_size) == prefix;
    }

    friend constexpr bool operator==(StringView a, StringView b)
    {
        if (a.m_size != b.m_size)
            return false;
        for (size_t i = 0; i < a.m_size; ++i) {
            if (a.m_data[i] != b.m_data[i])
                return false;
        }
        return true;
    }

private:
    static constexpr size_t length_of(const char* c_string)
    {
        if (c_string == nullptr)
            return 0;
        size_t length = 0;
        while (c_string[length] != '\0')
            ++length;
        return length;
    }

    const char* m_data = "";
    size_t m_size = 0;
};

} // namespace lib
