#pragma once
/// \file landweber.hpp
/// The Landweber iteration for A x ≈ y (optionally projected onto x ≥ 0).

#include <algorithm>
#include <cmath>

#include "lucid/core/error.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/operator_norm.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/monitor.hpp"
#include "lucid/solvers/start_point.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// Parameters of `landweber`.
struct LandweberParams {
    int max_iter = 200;             ///< iteration budget (the regularization parameter of the method)
    double tol = 1e-6;              ///< stop when ‖x_k − x_{k−1}‖ ≤ tol·‖x_k‖
    double step = 0;                ///< ω in (0, 2/‖A‖²); 0 = 1/‖A‖² (power iteration)
    double discrepancy = 0;         ///< > 0: stop once ‖A x_k − y‖ ≤ discrepancy (Morozov's principle)
    bool nonnegative = false;       ///< project onto x ≥ 0 after each step
    bool record_history = true;
    double divergence_factor = 1e8; ///< diverged when a step exceeds this times max(1, ‖x₀‖)

    void validate() const {
        constexpr const char* where = "lucid::landweber";
        detail::validate_common(where, max_iter, tol, divergence_factor);
        require(std::isfinite(step) && step >= 0, where, "step", "finite and >= 0 (0 = 1/||A||^2)", step);
        require(std::isfinite(discrepancy) && discrepancy >= 0, where, "discrepancy", "finite and >= 0", discrepancy);
    }
};

/// The Landweber iteration (Landweber 1951, "An iteration formula for Fredholm
/// integral equations of the first kind", Amer. J. Math. 73):
/// \f[ x_{k+1} = P\big(x_k + \omega A^\top (y - A x_k)\big) \f]
/// — gradient descent on ½‖Ax − y‖² with the fixed step ω, 0 < ω < 2/‖A‖²; P is
/// the identity or the projection onto x ≥ 0 (projected Landweber, Eicke 1992).
/// Early stopping regularizes: with `discrepancy` = τ·‖noise‖ (τ ≳ 1) the run
/// stops by Morozov's discrepancy principle. History: objective ½‖Ax_k − y‖²,
/// residual ‖x_k − x_{k−1}‖/‖x_k‖. One A and one Aᵀ per iteration; workspace
/// x, one range and one domain vector.
template <LinearOperator A, class Callback = callbacks::None>
SolverResult<domain_t<A>> landweber(const A& op, const range_t<A>& y, const domain_t<A>& x0,
                                    LandweberParams params = {}, Callback&& callback = {}) {
    params.validate();
    using V = domain_t<A>;
    using T = op_scalar_t<A>;
    require(shape_of(x0) == op.domain_shape(), "lucid::landweber", "x0", "of the operator's domain shape",
            element_count(x0));
    detail::require_finite_start("lucid::landweber", x0);
    require(shape_of(y) == op.range_shape(), "lucid::landweber", "y", "of the operator's range shape", element_count(y));
    SolverResult<V> out;
    out.x = clone(x0);
    V& x = out.x;
    auto r = make_range(op);
    V g = zeros_like(x0);
    detail::Monitor<V, Callback> monitor(out, callback, params.max_iter, params.record_history);
    double omega = params.step;
    if (omega == 0) {
        const double n = double(operator_norm(op));
        require(n > 0, "lucid::landweber", "op", "a non-zero operator", n);
        omega = 1.0 / (n * n);
    }
    const detail::DivergenceGuard diverged(params.divergence_factor, double(norm(x0)));
    op.apply(x, r);
    lincomb(T(1), y, T(-1), r, r);  // r = y − A x
    for (int k = 1; k <= params.max_iter; ++k) {
        op.apply_adjoint(r, g);      // g = Aᵀ(y − A x_k)
        const double step = omega * double(norm(g));
        if (diverged(step)) {
            monitor.diverge(k, "the iterate diverged");
            return out;
        }
        axpy(T(omega), g, x);        // x_{k+1} = x_k + ω g
        double moved = step;
        if (params.nonnegative) {
            // Project and measure the true step ‖x_{k+1} − x_k‖ = ‖P(x_k + ωg) − x_k‖ (g still holds the gradient).
            double d2 = 0;
            detail::for_each_leaf([&](auto xs, auto gs) {
                for (std::size_t i = 0; i < xs.size(); ++i) {
                    const T before = xs[i] - T(omega) * gs[i];
                    xs[i] = std::max(xs[i], T(0));
                    d2 += double(xs[i] - before) * double(xs[i] - before);
                }
            }, x, g);
            moved = std::sqrt(d2);
        }
        op.apply(x, r);
        lincomb(T(1), y, T(-1), r, r);
        const double rn = double(norm(r));
        const double xn = double(norm(x));
        const double rel = xn > 0 ? moved / xn : moved;
        if (monitor.record(k, x, 0.5 * rn * rn, rel)) return out;
        if (params.discrepancy > 0 && rn <= params.discrepancy) {
            monitor.finish(Status::converged, "discrepancy principle satisfied");
            return out;
        }
        if (rel <= params.tol) {
            monitor.finish(Status::converged, "relative change below tol");
            return out;
        }
    }
    monitor.finish(Status::max_iterations, "iteration budget exhausted");
    return out;
}

}  // namespace lucid
