#pragma once

// move and forward, as std::move and std::forward, without <utility>
// (lib/type_traits.h says why). The price: clang-tidy's
// bugprone-use-after-move and GCC's -Wpessimizing-move and -Wredundant-move
// know only std::move, so they do not see a use after lib::move. The
// kernel moves in three places (sync/mutex.h, lib/result.h twice).

#include "lib/type_traits.h"

namespace lib {

template <typename T>
constexpr RemoveReference<T>&& move(T&& value) noexcept
{
    return static_cast<RemoveReference<T>&&>(value);
}

template <typename T>
constexpr T&& forward(RemoveReference<T>& value) noexcept
{
    return static_cast<T&&>(value);
}

template <typename T>
constexpr T&& forward(RemoveReference<T>&& value) noexcept
{
    static_assert(!LvalueReference<T>, "an rvalue forwarded as an lvalue");
    return static_cast<T&&>(value);
}

} // namespace lib
