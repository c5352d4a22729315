#pragma once
/// \file gram.hpp
/// The normal operator AᵀA.

#include <optional>

#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/ops/stored.hpp"

namespace lucid::ops {

/// AᵀA x = Aᵀ(Ax): self-adjoint and positive semi-definite. Owns A's range as scratch.
template <class A>
class Gram : public OperatorBase<Gram<A>> {
    using OA = lucid::detail::unwrap_t<A>;
    static_assert(LinearOperator<OA>, "Gram needs a LinearOperator");

public:
    using scalar_type = typename OA::scalar_type;
    using domain_type = typename OA::domain_type;
    using range_type = typename OA::domain_type;

    explicit Gram(A a) : a_(std::move(a)) {
        middle_ = make_vector<typename OA::range_type>(lucid::detail::get(a_).range_shape());
    }

    auto domain_shape() const { return lucid::detail::get(a_).domain_shape(); }
    auto range_shape() const { return lucid::detail::get(a_).domain_shape(); }
    const OA& base() const { return lucid::detail::get(a_); }

    void apply(const domain_type& x, range_type& y) const {
        lucid::detail::get(a_).apply(x, middle_);
        lucid::detail::get(a_).apply_adjoint(middle_, y);
    }
    void apply_adjoint(const range_type& y, domain_type& x) const { apply(y, x); }
    std::optional<Spectrum<scalar_type>> spectrum() const { return gram_spectrum_of(lucid::detail::get(a_)); }

private:
    A a_;
    mutable typename OA::range_type middle_;
};

}  // namespace lucid::ops

namespace lucid {
/// AᵀA as an operator.
template <class A>
auto gram(A a) { return ops::Gram<A>(std::move(a)); }
}  // namespace lucid
