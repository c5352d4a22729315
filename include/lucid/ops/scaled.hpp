#pragma once
/// \file scaled.hpp
/// Scaling (s·A) x = s (A x).

#include <optional>

#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/ops/stored.hpp"

namespace lucid::ops {

/// (sA) x = s·(Ax); adjoint s·Aᵀy.
template <class A>
class Scaled : public OperatorBase<Scaled<A>> {
    using OA = lucid::detail::unwrap_t<A>;
    static_assert(LinearOperator<OA>, "Scaled needs a LinearOperator");

public:
    using scalar_type = typename OA::scalar_type;
    using domain_type = typename OA::domain_type;
    using range_type = typename OA::range_type;

    Scaled(scalar_type s, A a) : s_(s), a_(std::move(a)) {
        require_finite("lucid::scaled", "s", s);
    }

    auto domain_shape() const { return lucid::detail::get(a_).domain_shape(); }
    auto range_shape() const { return lucid::detail::get(a_).range_shape(); }
    scalar_type factor() const { return s_; }
    const OA& base() const { return lucid::detail::get(a_); }

    void apply(const domain_type& x, range_type& y) const {
        lucid::detail::get(a_).apply(x, y);
        scale(s_, y);
    }
    void apply_adjoint(const range_type& y, domain_type& x) const {
        lucid::detail::get(a_).apply_adjoint(y, x);
        scale(s_, x);
    }
    std::optional<Spectrum<scalar_type>> spectrum() const {
        auto sa = spectrum_of(lucid::detail::get(a_));
        if (!sa) return std::nullopt;
        return spectrum_scale(s_, std::move(*sa));
    }
    /// (sA)ᵀ(sA) = s²AᵀA.
    std::optional<Spectrum<scalar_type>> gram_spectrum() const {
        auto g = gram_spectrum_of(lucid::detail::get(a_));
        if (!g) return std::nullopt;
        return spectrum_scale(s_ * s_, std::move(*g));
    }

private:
    scalar_type s_;
    A a_;
};

}  // namespace lucid::ops

namespace lucid {
/// s·A: x ↦ s(Ax).
template <class A>
auto scaled(typename lucid::detail::unwrap_t<A>::scalar_type s, A a) { return ops::Scaled<A>(s, std::move(a)); }
}  // namespace lucid
