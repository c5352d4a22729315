#pragma once
/// \file linear_operator.hpp
/// The `LinearOperator` concept: a matrix-free linear map A: X → Y.
///
/// A model provides
/// - `scalar_type`, `domain_type`, `range_type` (Vector types),
/// - `apply(x, y)`: y = A x into a caller-owned buffer of `range_shape()`,
/// - `apply_adjoint(y, x)`: x = Aᵀ y into a buffer of `domain_shape()`,
/// - `domain_shape()`, `range_shape()`.
/// `apply` and `apply_adjoint` do not allocate. They are `const` but may use
/// internal scratch buffers, so one operator object must not be applied from
/// two threads at once; distinct objects are independent. Input and output
/// should be distinct buffers: convolution, spectral, diagonal and mask
/// operators and their sums, compositions and grams compute `apply(x, x)`
/// correctly, but operators that read a pixel's neighbours after writing it
/// (Laplacian, wavelets, polynomials, explicit matrices) throw on it
/// (`require_distinct_storage`, core/aliasing.hpp).
///
/// Operators that are diagonalized by a fixed transform may also provide
/// `std::optional<Spectrum<T>> spectrum() const` (see ops/spectrum.hpp).

#include <concepts>
#include <type_traits>

#include "lucid/core/vector_space.hpp"

namespace lucid {

/// A matrix-free linear operator (see file comment for the contract).
template <class A>
concept LinearOperator =
    Vector<typename std::remove_cvref_t<A>::domain_type> &&
    Vector<typename std::remove_cvref_t<A>::range_type> &&
    std::floating_point<typename std::remove_cvref_t<A>::scalar_type> &&
    requires(const std::remove_cvref_t<A>& op,
             const typename std::remove_cvref_t<A>::domain_type& x,
             typename std::remove_cvref_t<A>::range_type& y,
             const typename std::remove_cvref_t<A>::range_type& yc,
             typename std::remove_cvref_t<A>::domain_type& xo) {
        { op.domain_shape() } -> std::convertible_to<shape_t<typename std::remove_cvref_t<A>::domain_type>>;
        { op.range_shape() } -> std::convertible_to<shape_t<typename std::remove_cvref_t<A>::range_type>>;
        op.apply(x, y);
        op.apply_adjoint(yc, xo);
    };

/// An operator whose domain and range have the same type (needed for powers).
template <class A>
concept SquareOperator =
    LinearOperator<A> &&
    std::same_as<typename std::remove_cvref_t<A>::domain_type, typename std::remove_cvref_t<A>::range_type>;

template <LinearOperator A>
using domain_t = typename std::remove_cvref_t<A>::domain_type;
template <LinearOperator A>
using range_t = typename std::remove_cvref_t<A>::range_type;
template <LinearOperator A>
using op_scalar_t = typename std::remove_cvref_t<A>::scalar_type;

/// An operator whose `apply` and `apply_adjoint` write every element of their
/// output whatever it held before, declared by the member
/// `static constexpr bool writes_whole_output = true`. The allocating forms
/// `apply(op, x)` / `A(x)` and `apply_adjoint` then leave the new vector
/// unfilled (xtensor images) instead of zero-filling it first: one pass over
/// the output saved.
template <class A>
concept WritesWholeOutput = requires { requires std::remove_cvref_t<A>::writes_whole_output; };

namespace detail {
/// A new vector of the given shape for op to write: zero-filled, or left
/// unfilled when op writes its whole output and the vector type can be.
template <class V, class A, class S>
V output_vector(const S& shape) {
    if constexpr (WritesWholeOutput<A> && requires { VectorTraits<V>::make_uninitialized(shape); })
        return VectorTraits<V>::make_uninitialized(shape);
    else
        return make_vector<V>(shape);
}
}  // namespace detail

/// A new zero vector of A's domain.
template <LinearOperator A>
domain_t<A> make_domain(const A& op) { return make_vector<domain_t<A>>(op.domain_shape()); }

/// A new zero vector of A's range.
template <LinearOperator A>
range_t<A> make_range(const A& op) { return make_vector<range_t<A>>(op.range_shape()); }

/// y = A x, allocating y.
template <LinearOperator A>
range_t<A> apply(const A& op, const domain_t<A>& x) {
    auto y = detail::output_vector<range_t<A>, A>(op.range_shape());
    op.apply(x, y);
    return y;
}

/// x = Aᵀ y, allocating x.
template <LinearOperator A>
domain_t<A> apply_adjoint(const A& op, const range_t<A>& y) {
    auto x = detail::output_vector<domain_t<A>, A>(op.domain_shape());
    op.apply_adjoint(y, x);
    return x;
}

namespace ops {

/// CRTP base giving every lucid operator the allocating conveniences
/// `A(x)` (= A x) and `A.adjoint_of(y)` (= Aᵀ y).
template <class Derived>
struct OperatorBase {
    template <class X>
    auto operator()(const X& x) const { return lucid::apply(static_cast<const Derived&>(*this), x); }
    template <class Y>
    auto adjoint_of(const Y& y) const { return lucid::apply_adjoint(static_cast<const Derived&>(*this), y); }
};

}  // namespace ops
}  // namespace lucid
