#pragma once
/// \file gradient_descent.hpp
/// Gradient descent with a fixed step, Armijo backtracking or Barzilai–Borwein steps.

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "lucid/core/error.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/monitor.hpp"
#include "lucid/solvers/start_point.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// How gradient descent chooses its step t_k.
enum class StepRule {
    fixed,             ///< t_k = step (or 1/L)
    armijo,            ///< backtracking until the Armijo sufficient-decrease condition holds
    barzilai_borwein   ///< t_k = ⟨s, s⟩/⟨s, r⟩ with s = x_k − x_{k−1}, r = ∇f(x_k) − ∇f(x_{k−1}) (BB1)
};

constexpr std::string_view to_string(StepRule r) {
    switch (r) {
        case StepRule::fixed: return "fixed";
        case StepRule::armijo: return "armijo";
        case StepRule::barzilai_borwein: return "barzilai_borwein";
    }
    return "?";
}

/// Parameters of `gradient_descent`.
struct GradientDescentParams {
    int max_iter = 500;             ///< iteration budget
    double tol = 1e-6;              ///< stop when ‖∇f(x_k)‖ ≤ tol·‖∇f(x₀)‖
    StepRule rule = StepRule::armijo;
    double step = 0;                ///< fixed step / first trial step; 0 = 1/L if f knows L, else 1
    double armijo_c = 1e-4;         ///< sufficient decrease f(x − t g) ≤ f(x) − c·t‖g‖²
    double shrink = 0.5;            ///< backtracking factor t ← shrink·t
    int max_backtracks = 60;        ///< trials per iteration before giving up (status diverged)
    bool compute_objective = true;  ///< record f(x_k) (one extra evaluation per iteration for fixed/BB)
    bool record_history = true;
    double divergence_factor = 1e8; ///< diverged when a step exceeds this times max(1, ‖x₀‖)

    void validate() const {
        constexpr const char* where = "lucid::gradient_descent";
        detail::validate_common(where, max_iter, tol, divergence_factor);
        require(std::isfinite(step) && step >= 0, where, "step", "finite and >= 0 (0 = automatic)", step);
        require(armijo_c > 0 && armijo_c < 1, where, "armijo_c", "in (0, 1)", armijo_c);
        require(shrink > 0 && shrink < 1, where, "shrink", "in (0, 1)", shrink);
        require(max_backtracks >= 1, where, "max_backtracks", ">= 1", max_backtracks);
    }
};

/// Minimizes a differentiable f by gradient descent
/// \f[ x_{k+1} = x_k - t_k \nabla f(x_k) \f]
/// with t_k fixed (t = 1/L converges for L-smooth convex f; Nesterov 2004,
/// "Introductory Lectures on Convex Optimization", §2.1.5), chosen by Armijo
/// backtracking (Armijo 1966: the largest t = t₀·shrinkⁱ with
/// \f$ f(x_k - t g_k) \le f(x_k) - c\,t\,\|g_k\|^2 \f$, where t₀ is the previous
/// accepted step divided by `shrink`, capped at `step`, or at 1/L when f knows
/// its Lipschitz constant — larger steps only oscillate along the stiffest
/// direction), or by the
/// Barzilai–Borwein rule (Barzilai & Borwein 1988, "Two-point step size
/// gradient methods", IMA J. Numer. Anal. 8, eq. (5)):
/// \f$ t_k = \langle s_{k-1}, s_{k-1}\rangle / \langle s_{k-1}, r_{k-1}\rangle \f$,
/// \f$ s_{k-1} = x_k - x_{k-1} \f$, \f$ r_{k-1} = \nabla f(x_k) - \nabla f(x_{k-1}) \f$
/// (the previous step is kept when the curvature ⟨s, r⟩ is not positive).
///
/// Residual: ‖∇f(x_k)‖/‖∇f(x₀)‖. Works on any lucid::Vector. Workspace: 4
/// vectors (x, previous x, gradient, previous gradient / trial point).
/// ```cpp
/// auto r = lucid::gradient_descent(lucid::LeastSquares(A, y), x0, {.rule = lucid::StepRule::barzilai_borwein});
/// ```
template <class F, Vector V, class Callback = callbacks::None>
    requires Differentiable<F, V>
SolverResult<V> gradient_descent(F f, const V& x0, GradientDescentParams params = {}, Callback&& callback = {}) {
    params.validate();
    lucid::detail::require_start_in_domain("lucid::gradient_descent", f, x0);
    using T = scalar_t<V>;
    SolverResult<V> out;
    out.x = clone(x0);
    V& x = out.x;
    V x_prev = zeros_like(x0), g = zeros_like(x0), aux = zeros_like(x0);  // aux: previous gradient or trial point
    detail::Monitor<V, Callback> monitor(out, callback, params.max_iter, params.record_history);

    double t = params.step;
    double t_max = params.step > 0 ? params.step : std::numeric_limits<double>::infinity();
    if (t == 0) {
        const auto lip = lipschitz_constant(f);
        t = lip && *lip > 0 ? 1.0 / double(*lip) : 1.0;
        if (lip && *lip > 0) t_max = t;
    }
    f.gradient(x, g);
    const double g0 = double(norm(g));
    const detail::DivergenceGuard diverged(params.divergence_factor, double(norm(x0)));
    if (!std::isfinite(g0)) {
        monitor.diverge(0, "non-finite gradient at x0");
        return out;
    }
    if (g0 == 0) {
        monitor.finish(Status::converged, "x0 is stationary (zero gradient)");
        return out;
    }
    double fx = params.rule == StepRule::armijo || params.compute_objective ? double(f.value(x)) : detail::nan_value;

    for (int k = 1; k <= params.max_iter; ++k) {
        copy(x, x_prev);
        const double gg = double(squared_norm(g));
        if (params.rule == StepRule::armijo) {
            // Backtracking: accept the first t with f(x − t g) ≤ f(x) − c t ‖g‖², trying
            // first the last accepted step grown by 1/shrink (at most t_max).
            t = std::min(t / params.shrink, t_max);
            bool accepted = false;
            // Near the optimum the decrease c·t‖g‖² drops below the round-off of f: allow that much slack.
            constexpr double eps = std::numeric_limits<T>::epsilon();
            const double slack = 16 * eps * std::abs(fx);
            for (int b = 0; b < params.max_backtracks; ++b) {
                lincomb(T(1), x_prev, T(-t), g, x);
                const double ft = double(f.value(x));
                bool sufficient = std::isfinite(ft) && ft <= fx - params.armijo_c * t * gg + slack;
                // f(x_t) − f(x) at the round-off of f (for least squares ~ε‖Ax‖‖Ax − b‖,
                // far above ε|f|): decide by the gradient at x_t instead. For quadratic f,
                // f(x − t g) − f(x) = −(t/2)(‖g‖² + ⟨∇f(x − t g), g⟩) exactly, so the test
                // reads ‖g‖² + ⟨∇f(x_t), g⟩ ≥ 2c‖g‖², with round-off linear in t‖g‖.
                if (!sufficient && std::isfinite(ft) && std::abs(ft - fx) <= std::sqrt(eps) * std::max(std::abs(ft), std::abs(fx))) {
                    // a step within a few ulps of x certifies nothing either way: take it
                    if (t * t * gg <= 16 * eps * eps * double(squared_norm(x_prev))) {
                        sufficient = true;
                    } else {
                        f.gradient(x, aux);
                        sufficient = gg + double(dot(aux, g)) >= 2 * params.armijo_c * gg;
                    }
                }
                if (sufficient) {
                    fx = ft;
                    accepted = true;
                    break;
                }
                t *= params.shrink;
            }
            if (!accepted) {
                copy(x_prev, x);
                monitor.diverge(k, "Armijo backtracking found no decrease");
                return out;
            }
        } else {
            lincomb(T(1), x_prev, T(-t), g, x);  // x_{k+1} = x_k − t_k ∇f(x_k)
        }
        if (params.rule == StepRule::barzilai_borwein) copy(g, aux);
        f.gradient(x, g);
        if (params.rule != StepRule::armijo && params.compute_objective) fx = double(f.value(x));
        const double gn = double(norm(g));
        const double step_norm = t * std::sqrt(gg);
        if (diverged(step_norm, gn) || (params.compute_objective && !std::isfinite(fx))) {
            copy(x_prev, x);
            monitor.diverge(k, "the iterate diverged");
            return out;
        }
        if (params.rule == StepRule::barzilai_borwein) {
            // s = x − x_prev = −t g_prev; r = g − g_prev: t ← ⟨s,s⟩/⟨s,r⟩ = t‖g_prev‖² / (‖g_prev‖² − ⟨g_prev, g⟩).
            const double curvature = gg - double(dot(aux, g));
            if (curvature > 0) t = t * gg / curvature;
        }
        const double rel = gn / g0;
        if (monitor.record(k, x, fx, rel)) return out;
        if (rel <= params.tol) {
            monitor.finish(Status::converged, "relative gradient norm below tol");
            return out;
        }
    }
    monitor.finish(Status::max_iterations, "iteration budget exhausted");
    return out;
}

}  // namespace lucid
