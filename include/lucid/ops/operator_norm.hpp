#pragma once
/// \file operator_norm.hpp
/// ‖A‖₂ by power iteration on AᵀA.

#include <cmath>
#include <cstdint>
#include <random>

#include "lucid/core/linear_operator.hpp"

namespace lucid {

/// Options of `operator_norm`.
struct PowerIterationParams {
    int max_iter = 200;        ///< iterations of x ← AᵀAx / ‖AᵀAx‖
    double tol = 1e-8;         ///< stop when the estimate changes by less than tol (relative)
    std::uint64_t seed = 0;    ///< seed of the random start vector

    void validate() const {
        require(max_iter >= 1, "lucid::operator_norm", "max_iter", ">= 1", max_iter);
        require(std::isfinite(tol) && tol > 0, "lucid::operator_norm", "tol", "finite and > 0", tol);
    }
};

namespace detail {
/// Fills every element of v with independent N(0, 1) samples.
template <Vector V>
void fill_normal(V& v, std::mt19937_64& rng) {
    std::normal_distribution<double> n(0.0, 1.0);
    detail::for_each_leaf([&](auto s) { for (auto& e : s) e = static_cast<std::remove_reference_t<decltype(e)>>(n(rng)); }, v);
}
}  // namespace detail

/// Estimates ‖A‖₂ = σ_max(A) = √λ_max(AᵀA) by the power method
/// x_{k+1} = AᵀA x_k / ‖AᵀA x_k‖, σ ≈ √‖AᵀA x_k‖ for unit x_k (from below).
template <LinearOperator A>
op_scalar_t<A> operator_norm(const A& op, PowerIterationParams params = {}) {
    params.validate();
    using T = op_scalar_t<A>;
    std::mt19937_64 rng(params.seed);
    auto x = make_domain(op);
    auto ax = make_range(op);
    auto atax = make_domain(op);
    detail::fill_normal(x, rng);
    T nx = norm(x);
    if (nx == T(0)) return T(0);
    scale(T(1) / nx, x);
    double estimate = 0.0;
    for (int k = 0; k < params.max_iter; ++k) {
        op.apply(x, ax);
        op.apply_adjoint(ax, atax);
        const double lambda = double(norm(atax));   // ‖AᵀA x‖ for ‖x‖ = 1
        if (lambda == 0.0 || !std::isfinite(lambda)) return T(std::sqrt(lambda));
        const double next = std::sqrt(lambda);
        copy(atax, x);
        scale(T(1.0 / lambda), x);
        if (k > 0 && std::abs(next - estimate) <= params.tol * next) return T(next);
        estimate = next;
    }
    return T(estimate);
}

}  // namespace lucid
