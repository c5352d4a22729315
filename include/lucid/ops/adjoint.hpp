#pragma once
/// \file adjoint.hpp
/// The adjoint Aᵀ as an operator in its own right.

#include <optional>

#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/ops/stored.hpp"

namespace lucid::ops {

/// Aᵀ: apply is A's apply_adjoint and vice versa.
template <class A>
class Adjoint : public OperatorBase<Adjoint<A>> {
    using OA = lucid::detail::unwrap_t<A>;
    static_assert(LinearOperator<OA>, "Adjoint needs a LinearOperator");

public:
    using scalar_type = typename OA::scalar_type;
    using domain_type = typename OA::range_type;
    using range_type = typename OA::domain_type;

    explicit Adjoint(A a) : a_(std::move(a)) {}

    auto domain_shape() const { return lucid::detail::get(a_).range_shape(); }
    auto range_shape() const { return lucid::detail::get(a_).domain_shape(); }
    const OA& base() const { return lucid::detail::get(a_); }

    void apply(const domain_type& y, range_type& x) const { lucid::detail::get(a_).apply_adjoint(y, x); }
    void apply_adjoint(const range_type& x, domain_type& y) const { lucid::detail::get(a_).apply(x, y); }
    std::optional<Spectrum<scalar_type>> spectrum() const {
        auto sa = spectrum_of(lucid::detail::get(a_));
        if (!sa) return std::nullopt;
        return spectrum_adjoint(std::move(*sa));
    }

private:
    A a_;
};

}  // namespace lucid::ops

namespace lucid {
/// Aᵀ as an operator.
template <class A>
auto adjoint(A a) { return ops::Adjoint<A>(std::move(a)); }
}  // namespace lucid
