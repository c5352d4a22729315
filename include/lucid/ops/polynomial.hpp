#pragma once
/// \file polynomial.hpp
/// Matrix polynomials p(A) = Σᵢ cᵢ Aⁱ (Polyblur's p(K)).

#include <optional>
#include <vector>

#include "lucid/core/aliasing.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/ops/stored.hpp"

namespace lucid::ops {

/// p(A) x = Σᵢ₌₀ⁿ cᵢ Aⁱ x, evaluated by Horner's rule
/// y ← cₙx; y ← A y + cᵢ x for i = n−1..0 (n applications of A, no powers formed).
/// The adjoint is p(Aᵀ). A must be square (domain = range).
template <class A>
class Polynomial : public OperatorBase<Polynomial<A>> {
    using OA = lucid::detail::unwrap_t<A>;
    static_assert(SquareOperator<OA>, "polynomial(A, c) needs a square operator (domain = range)");

public:
    using scalar_type = typename OA::scalar_type;
    using domain_type = typename OA::domain_type;
    using range_type = typename OA::range_type;

    /// `coeffs` = {c₀, c₁, …, cₙ}, lowest degree first; at least one.
    Polynomial(A a, std::vector<scalar_type> coeffs) : a_(std::move(a)), c_(std::move(coeffs)) {
        constexpr const char* where = "lucid::polynomial";
        require(!c_.empty(), where, "coeffs", "at least one coefficient", "none");
        for (std::size_t i = 0; i < c_.size(); ++i) require_finite(where, "coeffs", c_[i]);
        const auto& oa = lucid::detail::get(a_);
        if (!(oa.domain_shape() == oa.range_shape()))
            lucid::detail::fail_argument<ShapeError>(where, "op", "an operator with equal domain and range shapes",
                                                     "domain " + shape_string(oa.domain_shape()) + ", range " +
                                                         shape_string(oa.range_shape()));
        tmp_ = make_vector<domain_type>(oa.domain_shape());
    }

    auto domain_shape() const { return lucid::detail::get(a_).domain_shape(); }
    auto range_shape() const { return lucid::detail::get(a_).range_shape(); }
    const std::vector<scalar_type>& coefficients() const { return c_; }
    const OA& base() const { return lucid::detail::get(a_); }

    void apply(const domain_type& x, range_type& y) const {
        require_shapes("lucid::ops::Polynomial::apply", "x", x, "y", y);
        horner(x, y, false);
    }
    void apply_adjoint(const range_type& y, domain_type& x) const {
        require_shapes("lucid::ops::Polynomial::apply_adjoint", "y", y, "x", x);
        horner(y, x, true);
    }

    std::optional<Spectrum<scalar_type>> spectrum() const {
        auto sa = spectrum_of(lucid::detail::get(a_));
        if (!sa) return std::nullopt;
        return spectrum_polynomial(*sa, c_);
    }

private:
    // Checked here, not left to A: with one coefficient (p = c₀) Horner never
    // applies A, so a wrongly shaped x or out would pass unnoticed.
    void require_shapes(const char* where, const char* in_name, const domain_type& in, const char* out_name,
                        const domain_type& out) const {
        const auto expected = lucid::detail::get(a_).domain_shape();
        if (!(shape_of(in) == expected))
            lucid::detail::fail_argument<ShapeError>(where, in_name, "of shape " + shape_string(expected),
                                                     shape_string(shape_of(in)));
        if (!(shape_of(out) == expected))
            lucid::detail::fail_argument<ShapeError>(where, out_name, "of shape " + shape_string(expected),
                                                     shape_string(shape_of(out)));
        require_distinct_storage(where, in_name, in, out_name, out);  // Horner reads the input at every step
    }

    void horner(const domain_type& x, range_type& y, bool adjoint) const {
        const auto& op = lucid::detail::get(a_);
        const std::size_t n = c_.size() - 1;
        lincomb(c_[n], x, scalar_type(0), x, y);
        for (std::size_t i = n; i-- > 0;) {
            if (adjoint) op.apply_adjoint(y, tmp_); else op.apply(y, tmp_);
            lincomb(scalar_type(1), tmp_, c_[i], x, y);
        }
    }

    A a_;
    std::vector<scalar_type> c_;
    mutable domain_type tmp_;
};

}  // namespace lucid::ops

namespace lucid {
/// p(A) = Σᵢ cᵢ Aⁱ with coeffs = {c₀, c₁, …} (lowest degree first).
template <class A>
auto polynomial(A a, std::vector<typename lucid::detail::unwrap_t<A>::scalar_type> coeffs) {
    return ops::Polynomial<A>(std::move(a), std::move(coeffs));
}
}  // namespace lucid
