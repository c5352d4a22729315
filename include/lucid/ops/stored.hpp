#pragma once
/// \file stored.hpp
/// How operator combinators hold their operands: by value, or by reference
/// when the caller passes `std::ref(A)` / `std::cref(A)` (then A must outlive
/// the combinator, and the combinator must not be applied concurrently with A).

#include <functional>
#include <type_traits>

namespace lucid::detail {

template <class A>
struct unwrap { using type = A; };
template <class A>
struct unwrap<std::reference_wrapper<A>> { using type = std::remove_const_t<A>; };

/// The operator type behind a stored operand.
template <class A>
using unwrap_t = typename unwrap<std::remove_cvref_t<A>>::type;

template <class A>
const auto& get(const A& a) {
    if constexpr (std::is_same_v<unwrap_t<A>, std::remove_cvref_t<A>>) return a;
    else return a.get();
}

}  // namespace lucid::detail
