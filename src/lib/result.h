#pragma once

// Errors as values: a function that can fail on outside input returns a
// Result<T, E> holding either the value or an error. No exceptions exist in
// the kernel, so this is the only way a failure travels to the caller.

#include <new>
#include <type_traits>
#include <utility>

namespace lib {

template <typename E>
struct Failure {
    E error;
};

// Lets `return fail(SomeError{...});` convert into any Result<T, E>.
template <typename E>
constexpr Failure<E> fail(E error)
{
    return Failure<E> { error };
}

template <typename T, typename E>
class [[nodiscard]] Result {
    static_assert(std::is_trivially_destructible_v<E>, "errors are plain values");

public:
    Result(T value)
        : m_has_value(true)
    {
        new (&m_value) T(std::move(value));
    }
    Result(Failure<E> failure)
        : m_has_value(false)
    {
        new (&m_error) E(failure.error);
    }

    Result(const Result& other)
        : m_has_value(other.m_has_value)
    {
        if (m_has_value)
            new (&m_value) T(other.m_value);
        else
            new (&m_error) E(other.m_error);
    }
    Result& operator=(const Result&) = delete;

    ~Result()
    {
        if (m_has_value)
            m_value.~T();
    }

    bool has_value() const { return m_has_value; }
    explicit operator bool() const { return m_has_value; }

    // Callers check has_value() first; reading the wrong side is a bug in
    // the caller, which the kernel's assertions catch in debug builds.
    T& value() { return m_value; }
    const T& value() const { return m_value; }
    const E& error() const { return m_error; }

private:
    bool m_has_value;
    union {
        T m_value;
        E m_error;
    };
};

} // namespace lib
