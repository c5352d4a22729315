#pragma once
/// \file algebra.hpp
/// Operator algebra in infix form: A * B (compose), A + B, A - B, s * A, -A.
/// The operators are found by argument-dependent lookup for lucid's own
/// operator types; for your own types use the named forms `lucid::compose`,
/// `lucid::sum`, `lucid::scaled` (or `using namespace lucid::ops;`).

#include "lucid/ops/adjoint.hpp"
#include "lucid/ops/composition.hpp"
#include "lucid/ops/gram.hpp"
#include "lucid/ops/polynomial.hpp"
#include "lucid/ops/scaled.hpp"
#include "lucid/ops/stack.hpp"
#include "lucid/ops/sum.hpp"

namespace lucid::ops {

/// A∘B.
template <LinearOperator A, LinearOperator B>
auto operator*(A a, B b) { return Composition<A, B>(std::move(a), std::move(b)); }

/// A + B.
template <LinearOperator A, LinearOperator B>
auto operator+(A a, B b) { return Sum<A, B>(std::move(a), std::move(b)); }

/// A − B = A + (−1)·B.
template <LinearOperator A, LinearOperator B>
auto operator-(A a, B b) {
    return Sum<A, Scaled<B>>(std::move(a), Scaled<B>(typename A::scalar_type(-1), std::move(b)));
}

/// s·A.
template <LinearOperator A>
auto operator*(typename A::scalar_type s, A a) { return Scaled<A>(s, std::move(a)); }

/// −A.
template <LinearOperator A>
auto operator-(A a) { return Scaled<A>(typename A::scalar_type(-1), std::move(a)); }

}  // namespace lucid::ops

namespace lucid {
using ops::operator*;
using ops::operator+;
using ops::operator-;
}  // namespace lucid
