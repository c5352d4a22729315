#pragma once
/// \file sum.hpp
/// Sum (A + B) x = A x + B x.

#include <optional>

#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/ops/stored.hpp"

namespace lucid::ops {

/// (A+B) x = Ax + Bx; adjoint Aᵀy + Bᵀy. Owns one range and one domain vector as scratch.
template <class A, class B>
class Sum : public OperatorBase<Sum<A, B>> {
    using OA = lucid::detail::unwrap_t<A>;
    using OB = lucid::detail::unwrap_t<B>;
    static_assert(LinearOperator<OA> && LinearOperator<OB>, "Sum needs two LinearOperators");
    static_assert(std::is_same_v<typename OA::domain_type, typename OB::domain_type> &&
                      std::is_same_v<typename OA::range_type, typename OB::range_type>,
                  "A + B needs equal domain and range types");

public:
    using scalar_type = typename OA::scalar_type;
    using domain_type = typename OA::domain_type;
    using range_type = typename OA::range_type;

    Sum(A a, B b) : a_(std::move(a)), b_(std::move(b)) {
        const auto& oa = lucid::detail::get(a_);
        const auto& ob = lucid::detail::get(b_);
        if (!(oa.domain_shape() == ob.domain_shape()) || !(oa.range_shape() == ob.range_shape()))
            lucid::detail::fail_argument<ShapeError>(
                "lucid::sum", "b",
                "an operator with the domain and range shapes of 'a' (domain " + shape_string(oa.domain_shape()) +
                    ", range " + shape_string(oa.range_shape()) + ")",
                "domain " + shape_string(ob.domain_shape()) + ", range " + shape_string(ob.range_shape()));
        range_tmp_ = make_vector<range_type>(oa.range_shape());
        domain_tmp_ = make_vector<domain_type>(oa.domain_shape());
    }

    auto domain_shape() const { return lucid::detail::get(a_).domain_shape(); }
    auto range_shape() const { return lucid::detail::get(a_).range_shape(); }

    void apply(const domain_type& x, range_type& y) const {
        // B first, into scratch: A writes y last, so y may be x when A allows it.
        lucid::detail::get(b_).apply(x, range_tmp_);
        lucid::detail::get(a_).apply(x, y);
        axpy(scalar_type(1), range_tmp_, y);
    }
    void apply_adjoint(const range_type& y, domain_type& x) const {
        lucid::detail::get(b_).apply_adjoint(y, domain_tmp_);
        lucid::detail::get(a_).apply_adjoint(y, x);
        axpy(scalar_type(1), domain_tmp_, x);
    }
    std::optional<Spectrum<scalar_type>> spectrum() const {
        auto sa = spectrum_of(lucid::detail::get(a_));
        auto sb = spectrum_of(lucid::detail::get(b_));
        if (!sa || !sb) return std::nullopt;
        return spectrum_sum(*sa, *sb);
    }

private:
    A a_;
    B b_;
    mutable range_type range_tmp_;
    mutable domain_type domain_tmp_;
};

}  // namespace lucid::ops

namespace lucid {
/// A + B: x ↦ Ax + Bx.
template <class A, class B>
auto sum(A a, B b) { return ops::Sum<A, B>(std::move(a), std::move(b)); }
}  // namespace lucid
