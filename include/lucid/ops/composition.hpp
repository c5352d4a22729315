#pragma once
/// \file composition.hpp
/// Composition (A∘B) x = A (B x).

#include <optional>

#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/ops/stored.hpp"

namespace lucid::ops {

/// (A∘B) x = A(Bx); adjoint (A∘B)ᵀ y = Bᵀ(Aᵀ y). Owns B's range as scratch.
template <class A, class B>
class Composition : public OperatorBase<Composition<A, B>> {
    using OA = lucid::detail::unwrap_t<A>;
    using OB = lucid::detail::unwrap_t<B>;
    static_assert(LinearOperator<OA> && LinearOperator<OB>, "Composition needs two LinearOperators");
    static_assert(std::is_same_v<typename OA::domain_type, typename OB::range_type>,
                  "A∘B needs range(B) = domain(A)");

public:
    using scalar_type = typename OA::scalar_type;
    using domain_type = typename OB::domain_type;
    using range_type = typename OA::range_type;

    Composition(A a, B b) : a_(std::move(a)), b_(std::move(b)) {
        const auto& oa = lucid::detail::get(a_);
        const auto& ob = lucid::detail::get(b_);
        require_shapes_equal(oa.domain_shape(), ob.range_shape());
        middle_ = make_vector<typename OB::range_type>(ob.range_shape());
    }

    auto domain_shape() const { return lucid::detail::get(b_).domain_shape(); }
    auto range_shape() const { return lucid::detail::get(a_).range_shape(); }
    const OA& outer() const { return lucid::detail::get(a_); }
    const OB& inner() const { return lucid::detail::get(b_); }

    void apply(const domain_type& x, range_type& y) const {
        lucid::detail::get(b_).apply(x, middle_);
        lucid::detail::get(a_).apply(middle_, y);
    }
    void apply_adjoint(const range_type& y, domain_type& x) const {
        lucid::detail::get(a_).apply_adjoint(y, middle_);
        lucid::detail::get(b_).apply_adjoint(middle_, x);
    }
    std::optional<Spectrum<scalar_type>> spectrum() const {
        auto sa = spectrum_of(lucid::detail::get(a_));
        auto sb = spectrum_of(lucid::detail::get(b_));
        if (!sa || !sb) return std::nullopt;
        return spectrum_compose(*sa, *sb);
    }

private:
    // Names both operands and prints both shapes: a bare "shapes differ" does
    // not tell which side of A∘B to fix.
    template <class S1, class S2>
    static void require_shapes_equal(const S1& domain_a, const S2& range_b) {
        if (!(domain_a == range_b))
            lucid::detail::fail_argument<ShapeError>(
                "lucid::compose", "inner",
                "an operator whose range shape equals the domain shape " + shape_string(domain_a) +
                    " of 'outer' (outer∘inner)",
                "range shape " + shape_string(range_b));
    }

    A a_;
    B b_;
    mutable typename OB::range_type middle_;
};

}  // namespace lucid::ops

namespace lucid {
/// A∘B: x ↦ A(Bx). Pass std::cref(op) to store a reference instead of a copy.
template <class A, class B>
auto compose(A a, B b) { return ops::Composition<A, B>(std::move(a), std::move(b)); }
}  // namespace lucid
