#pragma once
/// \file ista.hpp
/// ISTA: the proximal gradient (forward–backward) method for min f(x) + g(x).

#include <cmath>
#include <optional>
#include <utility>

#include "lucid/core/error.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/monitor.hpp"
#include "lucid/solvers/proximal_gradient.hpp"
#include "lucid/solvers/smooth_term.hpp"
#include "lucid/solvers/start_point.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// Parameters of `ista`.
struct IstaParams {
    int max_iter = 500;              ///< iteration budget
    double tol = 1e-6;               ///< stop when ‖x_k − x_{k−1}‖ ≤ tol·‖x_k‖ (0: run max_iter)
    double step = 0;                 ///< step 1/L; 0 = 1/L from lipschitz_constant(f), else backtracking
    bool backtracking = false;       ///< backtrack even when L is known (starting from it)
    double backtrack_factor = 2;     ///< η: L ← η·L when the sufficient-decrease test fails
    double initial_lipschitz = 1;    ///< first L when f knows none
    bool compute_objective = true;   ///< record F(x_k) = f(x_k) + g(x_k) in the history
    bool record_history = true;
    double divergence_factor = 1e8;  ///< diverged when a step exceeds this times max(1, ‖x₀‖)

    void validate() const {
        constexpr const char* where = "lucid::ista";
        detail::validate_common(where, max_iter, tol, divergence_factor);
        require(std::isfinite(step) && step >= 0, where, "step", "finite and >= 0 (0 = 1/L)", step);
        require(std::isfinite(backtrack_factor) && backtrack_factor > 1, where, "backtrack_factor", "finite and > 1",
                backtrack_factor);
        require_positive(where, "initial_lipschitz", initial_lipschitz);
    }
};

/// ISTA / proximal gradient (Combettes & Wajs 2005; Beck & Teboulle 2009,
/// SIAM J. Imaging Sci. 2(1), eq. (1.4) and §3) for
/// \f$ \min_x F(x) = f(x) + g(x) \f$, f convex and L-smooth, g proximable:
/// \f[ x_{k+1} = \mathrm{prox}_{g/L}\big(x_k - \tfrac1L \nabla f(x_k)\big), \f]
/// with L = lipschitz_constant(f), a given step, or Beck–Teboulle backtracking
/// (§4: L ← ηL until \f$ f(x_{k+1}) \le f(x_k) + \langle x_{k+1} - x_k, \nabla f(x_k)\rangle
/// + \tfrac L2\|x_{k+1} - x_k\|^2 \f$). F(x_k) − F* = O(1/k), monotone.
/// A quadratic f with a diagonalized normal operator gets its gradient from
/// one transform pair (see smooth_term.hpp).
///
/// Residual ‖x_k − x_{k−1}‖/‖x_k‖; history objective F(x_k) and the step 1/L as `penalty`.
/// Workspace: 3 vectors. On divergence x is the last finite iterate.
/// ```cpp
/// auto r = lucid::ista(lucid::LeastSquares(A, y), lucid::L1<double>(0.1), x0, {.max_iter = 2000});
/// ```
template <class F, class G, Vector V, class Callback = callbacks::None>
    requires Differentiable<F, V> && Proximable<G, V>
SolverResult<V> ista(F f, G g, const V& x0, IstaParams params = {}, Callback&& callback = {}) {
    params.validate();
    lucid::detail::require_start_in_domain("lucid::ista", f, x0);
    using T = scalar_t<V>;
    SolverResult<V> out;
    V x = clone(x0), x_next = zeros_like(x0), grad = zeros_like(x0);
    detail::SmoothTerm<F, V> smooth(f, x0);
    auto step = detail::make_step_control(smooth, params.step, params.backtracking, params.backtrack_factor,
                                          params.initial_lipschitz);
    auto prox = [&g](const V& v, T tau, V& o) { g.prox(v, tau, o); };
    std::optional<V> grad_p;  // ∇f at the trial point: backtracking's round-off-proof test
    if (step.backtracking) grad_p.emplace(zeros_like(x0));
    detail::Monitor<V, Callback> monitor(out, callback, params.max_iter, params.record_history);
    const detail::DivergenceGuard diverged(params.divergence_factor, double(norm(x0)));
    auto finish = [&] { out.x = std::move(x); return std::move(out); };

    for (int k = 1; k <= params.max_iter; ++k) {
        smooth.gradient(x, grad);                                               // ∇f(x_k)
        const double f_x = step.backtracking ? double(smooth.value(x)) : detail::nan_value;
        if (!detail::forward_backward(smooth, prox, x, grad, f_x, x_next, step, static_cast<V*>(nullptr),
                                      grad_p ? &*grad_p : nullptr)) {  // x_{k+1} = p_L(x_k)
            monitor.diverge(k, "backtracking found no step with sufficient decrease");
            return finish();
        }
        const auto ch = detail::change(x_next, x);
        const double obj = params.compute_objective ? double(smooth.value(x_next)) + double(g.value(x_next))
                                                    : detail::nan_value;
        if (diverged(ch.diff, ch.norm) || (params.compute_objective && std::isnan(obj))) {
            monitor.diverge(k, "the iterate diverged");
            return finish();
        }
        std::swap(x, x_next);
        monitor.record_penalty(1.0 / step.lipschitz);
        if (monitor.record(k, x, obj, ch.relative())) return finish();
        if (ch.relative() <= params.tol) {
            monitor.finish(Status::converged, "relative change below tol");
            return finish();
        }
    }
    monitor.finish(Status::max_iterations, "iteration budget exhausted");
    return finish();
}

}  // namespace lucid
