#pragma once

// Errors as values: a function that can fail on outside input returns a
// Result<T, E> holding either the value or an error, or a Result<void, E>
// when success carries nothing. No exceptions exist in the kernel, so this is
// the only way a failure travels to the caller; TRY (below) passes one on.

#include <new>

#include "lib/type_traits.h"
#include "lib/utility.h"

namespace lib {

// Reading the side of a Result it does not hold is a bug in the caller, never
// an outside input, so it ends everything: the kernel panics with a backtrace
// (src/kernel/result_misuse.cpp), the host tests abort
// (test/host/result_misuse.cpp). Defined once per build, not here, because
// only the kernel has PANIC.
[[noreturn]] void result_misuse(const char* what);

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
    static_assert(TriviallyDestructible<E>, "errors are plain values");

public:
    Result(T value)
        : m_has_value(true)
    {
        new (&m_value) T(lib::move(value));
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

    // Callers check has_value() first; reading the side that is not there
    // ends in result_misuse().
    T& value()
    {
        check_has_value();
        return m_value;
    }
    const T& value() const
    {
        check_has_value();
        return m_value;
    }
    // Moves the value out (what TRY yields).
    T release_value()
    {
        check_has_value();
        return lib::move(m_value);
    }
    const E& error() const
    {
        if (m_has_value) [[unlikely]]
            result_misuse("error() read on a Result holding a value");
        return m_error;
    }

private:
    void check_has_value() const
    {
        if (!m_has_value) [[unlikely]]
            result_misuse("value() read on a Result holding an error");
    }

    bool m_has_value;
    union {
        T m_value;
        E m_error;
    };
};

// Success that carries nothing: `return {};` succeeds, `return fail(...)`
// fails.
template <typename E>
class [[nodiscard]] Result<void, E> {
    static_assert(TriviallyDestructible<E>, "errors are plain values");

public:
    Result()
        : m_has_value(true)
    {
    }
    Result(Failure<E> failure)
        : m_has_value(false)
    {
        new (&m_error) E(failure.error);
    }

    Result(const Result& other)
        : m_has_value(other.m_has_value)
    {
        if (!m_has_value)
            new (&m_error) E(other.m_error);
    }
    Result& operator=(const Result&) = delete;
    ~Result() = default;

    bool has_value() const { return m_has_value; }
    explicit operator bool() const { return m_has_value; }

    // Nothing to read; still a misuse on an error, like the valued form.
    void value() const
    {
        if (!m_has_value) [[unlikely]]
            result_misuse("value() read on a Result holding an error");
    }
    void release_value() const { value(); }
    const E& error() const
    {
        if (m_has_value) [[unlikely]]
            result_misuse("error() read on a Result holding a value");
        return m_error;
    }

private:
    bool m_has_value;
    union {
        char m_nothing;
        E m_error;
    };
};

} // namespace lib

// Evaluates a Result once; on an error returns that error from the enclosing
// function (which returns a Result with the same error type), otherwise
// yields the value (nothing for a Result<void, E>). A GCC statement
// expression, as SerenityOS's TRY: `uint32_t head = TRY(take_span(pages));`.
#define TRY(expression)                                                                                      \
    ({                                                                                                       \
        auto&& try_result_ = (expression);                                                                   \
        if (!try_result_.has_value()) [[unlikely]]                                                           \
            return ::lib::fail(try_result_.error());                                                         \
        try_result_.release_value();                                                                         \
    })
