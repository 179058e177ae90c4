// lib/type_traits.h and lib/utility.h against the standard library's own
// traits (the oracle: on the host <type_traits> is there to ask), over the
// kinds of type the kernel formats and stores. The checks are static: a
// trait that disagrees fails the build of this test.

#include "lib/type_traits.h"
#include "lib/utility.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace {

enum class Colour : uint8_t { Red };
enum Plain { Zero };
struct Aggregate {
    int value;
};
struct WithDestructor {
    ~WithDestructor() { }
};
// Trivial to GCC's __has_trivial_destructor, not destructible at all to
// the standard.
struct DeletedDestructor {
    ~DeletedDestructor() = delete;
};
class PrivateDestructor {
    ~PrivateDestructor() = default;
};

template <typename T>
constexpr bool agrees_with_std()
{
    static_assert(lib::Integral<T> == std::is_integral_v<T>);
    static_assert(lib::SignedIntegral<T> == (std::is_integral_v<T> && std::is_signed_v<T>));
    static_assert(lib::Pointer<T> == std::is_pointer_v<T>);
    static_assert(lib::NullPointer<T> == std::is_null_pointer_v<T>);
    static_assert(lib::Array<T> == std::is_array_v<T>);
    static_assert(lib::Enum<T> == std::is_enum_v<T>);
    static_assert(lib::LvalueReference<T> == std::is_lvalue_reference_v<T>);
    static_assert(std::is_same_v<lib::RemoveReference<T>, std::remove_reference_t<T>>);
    static_assert(std::is_same_v<lib::RemoveCv<T>, std::remove_cv_t<T>>);
    static_assert(std::is_same_v<lib::RemoveCvReference<T>, std::remove_cvref_t<T>>);
    static_assert(std::is_same_v<lib::RemoveExtent<T>, std::remove_extent_t<T>>);
    if constexpr (!std::is_reference_v<T> && !std::is_array_v<T> && !std::is_void_v<T>)
        static_assert(lib::TriviallyDestructible<T> == std::is_trivially_destructible_v<T>);
    return true;
}

template <typename... Types>
constexpr bool all_agree_with_std()
{
    return (agrees_with_std<Types>() && ...);
}

// Each type plain, const, volatile, as references, and in arrays.
template <typename T>
constexpr bool agrees_in_every_form()
{
    return all_agree_with_std<T, const T, volatile T, const volatile T, T&, const T&, T&&, T*, const T*,
        T* const, T[3], const T[3], T[]>();
}

static_assert(agrees_in_every_form<bool>());
static_assert(agrees_in_every_form<char>());
static_assert(agrees_in_every_form<signed char>());
static_assert(agrees_in_every_form<unsigned char>());
static_assert(agrees_in_every_form<wchar_t>());
static_assert(agrees_in_every_form<char8_t>());
static_assert(agrees_in_every_form<char16_t>());
static_assert(agrees_in_every_form<char32_t>());
static_assert(agrees_in_every_form<short>());
static_assert(agrees_in_every_form<unsigned short>());
static_assert(agrees_in_every_form<int>());
static_assert(agrees_in_every_form<unsigned>());
static_assert(agrees_in_every_form<long>());
static_assert(agrees_in_every_form<unsigned long>());
static_assert(agrees_in_every_form<long long>());
static_assert(agrees_in_every_form<unsigned long long>());
static_assert(agrees_in_every_form<__int128>());
static_assert(agrees_in_every_form<unsigned __int128>());
static_assert(agrees_in_every_form<float>());
static_assert(agrees_in_every_form<double>());
static_assert(agrees_in_every_form<std::nullptr_t>());
static_assert(agrees_in_every_form<Colour>());
static_assert(agrees_in_every_form<Plain>());
static_assert(agrees_in_every_form<Aggregate>());
static_assert(agrees_in_every_form<WithDestructor>());
static_assert(agrees_in_every_form<DeletedDestructor>());
static_assert(agrees_in_every_form<PrivateDestructor>());
static_assert(agrees_in_every_form<void*>());
static_assert(all_agree_with_std<void, const void, int Aggregate::*, void (*)(), int(int)>());

static_assert(std::is_same_v<lib::UnderlyingType<Colour>, std::underlying_type_t<Colour>>);
static_assert(std::is_same_v<lib::UnderlyingType<Plain>, std::underlying_type_t<Plain>>);
static_assert(lib::SameAs<int, int> && !lib::SameAs<int, const int> && !lib::SameAs<int, unsigned>);
static_assert(lib::OneOf<int, char, int> && !lib::OneOf<int, char, long> && !lib::OneOf<int>);
static_assert(lib::SameAs<uint8_t, unsigned char> && !lib::SameAs<uint8_t, char>);

// SameAs<T, U> subsumes SameAs<U, T>, as std::same_as does: the more
// constrained overload is chosen, not an ambiguity.
template <typename T, typename U>
requires lib::SameAs<T, U>
constexpr int more_constrained_wins(T, U)
{
    return 1;
}
template <typename T, typename U>
requires lib::SameAs<U, T> && lib::Integral<T>
constexpr int more_constrained_wins(T, U)
{
    return 2;
}
static_assert(more_constrained_wins(1, 1) == 2);

// What move and forward give, as std::move and std::forward give it.
template <typename T>
constexpr bool forwards_as_std(T&& value)
{
    static_assert(std::is_same_v<decltype(lib::forward<T>(value)), decltype(std::forward<T>(value))>);
    static_assert(std::is_same_v<decltype(lib::move(value)), decltype(std::move(value))>);
    return true;
}

TEST(TypeTraits, MoveAndForwardGiveWhatTheStandardLibraryGives)
{
    int lvalue = 1;
    const int constant = 2;
    EXPECT_TRUE(forwards_as_std(lvalue));
    EXPECT_TRUE(forwards_as_std(constant));
    EXPECT_TRUE(forwards_as_std(3));
    EXPECT_TRUE(forwards_as_std(lib::move(lvalue)));
    // And the value itself, unchanged.
    int source = 42;
    int moved = lib::move(source);
    EXPECT_EQ(moved, 42);
    EXPECT_EQ(lib::forward<int&>(source), 42);
}

} // namespace
