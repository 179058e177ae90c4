#pragma once

// The few type traits the kernel uses, as concepts over the compiler's
// built-ins. Not <type_traits>, <utility> and <concepts>: together they
// cost every file that includes them about 35 ms of parsing (<utility>
// alone, with the <compare> and <concepts> it pulls in), most of the
// kernel includes one through lib/format.h or sync/spinlock.h, and the
// kernel uses a dozen of their hundreds of names (README, Pipeline).
// test/host/type_traits_test.cpp checks each against the standard
// library's.

namespace lib {

namespace detail {

template <typename T, typename U>
concept Same = __is_same(T, U);

// value.~T() is what the standard's "destructible" asks: false for a
// deleted or inaccessible destructor, which __has_trivial_destructor
// does not see.
template <typename T>
concept Destructible = requires(T& value)
{
    value.~T();
};

template <typename T>
struct RemoveReference {
    using Type = T;
};
template <typename T>
struct RemoveReference<T&> {
    using Type = T;
};
template <typename T>
struct RemoveReference<T&&> {
    using Type = T;
};

template <typename T>
struct RemoveCv {
    using Type = T;
};
template <typename T>
struct RemoveCv<const T> {
    using Type = T;
};
template <typename T>
struct RemoveCv<volatile T> {
    using Type = T;
};
template <typename T>
struct RemoveCv<const volatile T> {
    using Type = T;
};

// An array's element type: T[] and T[N] are the two forms to match.
template <typename T>
struct ArrayElement {
    static constexpr bool kIsArray = false;
    using Type = T;
};
template <typename T>
struct ArrayElement<T[]> {
    static constexpr bool kIsArray = true;
    using Type = T;
};
template <typename T, decltype(sizeof(0)) N>
struct ArrayElement<T[N]> {
    static constexpr bool kIsArray = true;
    using Type = T;
};

template <typename T>
struct IsPointer {
    static constexpr bool kValue = false;
};
template <typename T>
struct IsPointer<T*> {
    static constexpr bool kValue = true;
};

} // namespace detail

// Both ways round through one named concept, as std::same_as, so that
// SameAs<T, U> subsumes SameAs<U, T> in overload resolution.
template <typename T, typename U>
concept SameAs = detail::Same<T, U> && detail::Same<U, T>;

template <typename T, typename... Candidates>
concept OneOf = (SameAs<T, Candidates> || ...);

template <typename T>
using RemoveReference = typename detail::RemoveReference<T>::Type;
template <typename T>
using RemoveCv = typename detail::RemoveCv<T>::Type;
template <typename T>
using RemoveCvReference = RemoveCv<RemoveReference<T>>;
// An array's element type (T itself when T is no array).
template <typename T>
using RemoveExtent = typename detail::ArrayElement<T>::Type;

// (Some concepts below are in parentheses: clang-format 14 reads an
// unbracketed template argument list there as comparisons.)

// The standard's integer types and character types, cv-qualified or not.
// Not __int128: in strict C++20 (-std=c++20, not gnu++20) the standard
// library does not count it either.
template <typename T>
concept Integral = (OneOf<RemoveCv<T>, bool, char, signed char, unsigned char, wchar_t, char8_t, char16_t,
    char32_t, short, unsigned short, int, unsigned, long, unsigned long, long long, unsigned long long>);
template <typename T>
concept SignedIntegral = Integral<T> && bool(RemoveCv<T>(-1) < RemoveCv<T>(0));
template <typename T>
concept Pointer = detail::IsPointer<RemoveCv<T>>::kValue;
template <typename T>
concept NullPointer = (SameAs<RemoveCv<T>, decltype(nullptr)>);
template <typename T>
concept Array = detail::ArrayElement<T>::kIsArray;
template <typename T>
concept LvalueReference = (SameAs<T, RemoveReference<T>&>);
template <typename T>
concept Enum = __is_enum(T);
template <typename T>
using UnderlyingType = __underlying_type(T);

// GCC 12 has only the older built-in, blind to a deleted or private
// destructor; Clang (clang-tidy) has both and deprecates the older one.
#if __has_builtin(__is_trivially_destructible)
template <typename T>
concept TriviallyDestructible = __is_trivially_destructible(T);
#else
template <typename T>
concept TriviallyDestructible = __has_trivial_destructor(T) && detail::Destructible<RemoveExtent<T>>;
#endif

} // namespace lib
