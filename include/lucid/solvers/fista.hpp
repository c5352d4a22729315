#pragma once
/// \file fista.hpp
/// FISTA: accelerated proximal gradient, with backtracking, the monotone
/// variant (MFISTA) and adaptive restart.

#include <cmath>
#include <optional>
#include <string_view>
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

/// Adaptive restart of the momentum (O'Donoghue & Candès 2015).
enum class Restart {
    none,      ///< plain FISTA
    function,  ///< restart when F(x_k) > F(x_{k−1})
    gradient   ///< restart when ⟨y_{k−1} − x_k, x_k − x_{k−1}⟩ > 0 (no objective needed)
};

constexpr std::string_view to_string(Restart r) {
    switch (r) {
        case Restart::none: return "none";
        case Restart::function: return "function";
        case Restart::gradient: return "gradient";
    }
    return "?";
}

/// Parameters of `fista`.
struct FistaParams {
    int max_iter = 500;              ///< iteration budget
    double tol = 1e-6;               ///< stop when ‖x_k − x_{k−1}‖ ≤ tol·‖x_k‖ (0: run max_iter)
    double step = 0;                 ///< step 1/L; 0 = 1/L from lipschitz_constant(f), else backtracking
    bool backtracking = false;       ///< backtrack even when L is known (starting from it)
    double backtrack_factor = 2;     ///< η: L ← η·L when the sufficient-decrease test fails
    double initial_lipschitz = 1;    ///< first L when f knows none
    bool monotone = false;           ///< MFISTA: never accept a point that increases F
    Restart restart = Restart::none; ///< adaptive restart scheme
    bool compute_objective = true;   ///< record F(x_k) (always computed for monotone / function restart)
    bool record_history = true;
    double divergence_factor = 1e8;  ///< diverged when a step exceeds this times max(1, ‖x₀‖)

    void validate() const {
        constexpr const char* where = "lucid::fista";
        detail::validate_common(where, max_iter, tol, divergence_factor);
        require(std::isfinite(step) && step >= 0, where, "step", "finite and >= 0 (0 = 1/L)", step);
        require(std::isfinite(backtrack_factor) && backtrack_factor > 1, where, "backtrack_factor", "finite and > 1",
                backtrack_factor);
        require_positive(where, "initial_lipschitz", initial_lipschitz);
    }
};

namespace detail {
/// y = x + β(x − x_prev) and the change ‖x − x_prev‖, ‖x‖, fused in one pass.
template <Vector V>
Change momentum_step(const V& x, const V& x_prev, scalar_t<V> beta, V& y) {
    double d2 = 0, n2 = 0;
    for_each_leaf([&](auto a, auto b, auto c) {
        const std::size_t n = a.size();
        const auto* pa = a.data();
        const auto* pb = b.data();
        auto* pc = c.data();
        double s0 = 0, s1 = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const auto d = pa[i] - pb[i];
            pc[i] = pa[i] + beta * d;
            s0 += double(d) * double(d);
            s1 += double(pa[i]) * double(pa[i]);
        }
        d2 += s0;
        n2 += s1;
    }, x, x_prev, y);
    return {std::sqrt(d2), std::sqrt(n2)};
}
}  // namespace detail

/// FISTA (Beck & Teboulle 2009, "A fast iterative shrinkage-thresholding
/// algorithm for linear inverse problems", SIAM J. Imaging Sci. 2(1), eqs. (4.1)–(4.3))
/// for \f$ \min_x F(x) = f(x) + g(x) \f$, f convex L-smooth, g proximable:
/// \f[ x_k = \mathrm{prox}_{g/L}\big(y_k - \tfrac1L\nabla f(y_k)\big),\quad
///     t_{k+1} = \tfrac{1 + \sqrt{1 + 4t_k^2}}{2},\quad
///     y_{k+1} = x_k + \tfrac{t_k - 1}{t_{k+1}}(x_k - x_{k-1}), \f]
/// F(x_k) − F* = O(1/k²). Options:
/// - **backtracking** when no Lipschitz constant is known (§4 of the paper):
///   L ← ηL until \f$ f(x_k) \le f(y_k) + \langle x_k - y_k, \nabla f(y_k)\rangle + \tfrac L2\|x_k - y_k\|^2 \f$;
/// - **monotone** (MFISTA; Beck & Teboulle 2009, "Fast gradient-based algorithms
///   for constrained total variation image denoising and deblurring problems",
///   IEEE TIP 18(11), §V.A): z_k = p_L(y_k), x_k = argmin{F(x) : x ∈ {z_k, x_{k−1}}},
///   \f$ y_{k+1} = x_k + \tfrac{t_k}{t_{k+1}}(z_k - x_k) + \tfrac{t_k - 1}{t_{k+1}}(x_k - x_{k-1}) \f$;
///   F(x_k) never increases;
/// - **adaptive restart** (O'Donoghue & Candès 2015, "Adaptive restart for
///   accelerated gradient schemes", Found. Comput. Math. 15, §3.2): t ← 1 and
///   y_{k+1} = x_k when F(x_k) > F(x_{k−1}) (function scheme) or
///   ⟨y_k − x_k, x_k − x_{k−1}⟩ > 0 (gradient scheme).
///
/// Residual ‖x_k − x_{k−1}‖/‖x_k‖ (for MFISTA ‖z_k − x_{k−1}‖/‖z_k‖). Workspace:
/// 4 vectors (5 for MFISTA); the fused momentum update computes the residual in
/// the same pass. On divergence x is the last finite iterate.
/// ```cpp
/// auto r = lucid::fista(lucid::LeastSquares(A, y), lucid::TotalVariation<double>(0.01), y,
///                       {.max_iter = 300, .restart = lucid::Restart::gradient});
/// ```
template <class F, class G, Vector V, class Callback = callbacks::None>
    requires Differentiable<F, V> && Proximable<G, V>
SolverResult<V> fista(F f, G g, const V& x0, FistaParams params = {}, Callback&& callback = {}) {
    params.validate();
    lucid::detail::require_start_in_domain("lucid::fista", f, x0);
    using T = scalar_t<V>;
    SolverResult<V> out;
    V x = clone(x0), x_prev = clone(x0), y = clone(x0), grad = zeros_like(x0);
    std::optional<V> z;
    if (params.monotone) z.emplace(zeros_like(x0));
    detail::SmoothTerm<F, V> smooth(f, x0);
    auto step = detail::make_step_control(smooth, params.step, params.backtracking, params.backtrack_factor,
                                          params.initial_lipschitz);
    auto prox = [&g](const V& v, T tau, V& o) { g.prox(v, tau, o); };
    std::optional<V> grad_p;  // ∇f at the trial point: backtracking's round-off-proof test
    if (step.backtracking) grad_p.emplace(zeros_like(x0));
    auto objective = [&](const V& v) { return double(smooth.value(v)) + double(g.value(v)); };
    const bool need_objective = params.compute_objective || params.monotone || params.restart == Restart::function;
    double F_x = need_objective ? objective(x) : detail::nan_value;
    double t = 1;
    bool y_is_x = true;  // monotone variant: y_k = x_k (no momentum in the last update)
    detail::Monitor<V, Callback> monitor(out, callback, params.max_iter, params.record_history);
    const detail::DivergenceGuard diverged(params.divergence_factor, double(norm(x0)));
    auto finish = [&] { out.x = std::move(x); return std::move(out); };

    for (int k = 1; k <= params.max_iter; ++k) {
        smooth.gradient(y, grad);                                              // ∇f(y_k)
        const double f_y = step.backtracking ? double(smooth.value(y)) : detail::nan_value;
        // x_prev's storage (x_{k−2}) is free: the new point goes there, then x/x_prev swap.
        V& p = params.monotone ? *z : x_prev;
        if (!detail::forward_backward(smooth, prox, y, grad, f_y, p, step, static_cast<V*>(nullptr),
                                      grad_p ? &*grad_p : nullptr)) {  // p = p_L(y_k)
            monitor.diverge(k, "backtracking found no step with sufficient decrease");
            return finish();
        }
        const double F_p = need_objective ? objective(p) : detail::nan_value;
        const double t_next = (1 + std::sqrt(1 + 4 * t * t)) / 2;
        detail::Change ch;
        bool restart = false;

        if (!params.monotone) {
            std::swap(x, x_prev);                    // x = x_k, x_prev = x_{k−1}
            if (params.restart == Restart::function) restart = F_p > F_x;
            if (params.restart == Restart::gradient) {
                // ⟨y_k − x_k, x_k − x_{k−1}⟩ > 0: the momentum points uphill.
                double s = 0;
                detail::for_each_leaf([&](auto a, auto b, auto c) {
                    for (std::size_t i = 0; i < a.size(); ++i) s += double(a[i] - b[i]) * double(b[i] - c[i]);
                }, y, x, x_prev);
                restart = s > 0;
            }
            const T beta = restart ? T(0) : T((t - 1) / t_next);
            ch = detail::momentum_step(x, x_prev, beta, y);   // y_{k+1} = x_k + β(x_k − x_{k−1})
            if (diverged(ch.diff, ch.norm) || (need_objective && std::isnan(F_p))) {
                std::swap(x, x_prev);
                monitor.diverge(k, "the iterate diverged");
                return finish();
            }
            F_x = F_p;
        } else {
            ch = detail::change(*z, x);               // ‖z_k − x_{k−1}‖
            if (diverged(ch.diff, ch.norm) || std::isnan(F_p)) {
                monitor.diverge(k, "the iterate diverged");
                return finish();
            }
            // From y = x (no momentum) z is a plain proximal-gradient step, which does
            // not increase F in exact arithmetic: an increase within the round-off of F
            // is accepted, or a function restart would reject the same z forever.
            const bool accept =
                F_p <= F_x || (y_is_x && F_p - F_x <= std::sqrt(double(std::numeric_limits<T>::epsilon())) * std::abs(F_x));
            if (params.restart == Restart::function) restart = !accept;
            if (params.restart == Restart::gradient) {
                double s = 0;
                detail::for_each_leaf([&](auto a, auto b, auto c) {
                    for (std::size_t i = 0; i < a.size(); ++i) s += double(a[i] - b[i]) * double(b[i] - c[i]);
                }, y, *z, x);
                restart = s > 0;
            }
            const T a = restart ? T(0) : T(t / t_next), b = restart ? T(0) : T((t - 1) / t_next);
            if (accept) {
                std::swap(x_prev, x);                 // x_prev = x_{k−1}
                std::swap(x, *z);                     // x = z_k
                detail::momentum_step(x, x_prev, b, y);  // y = x_k + b(x_k − x_{k−1}) (the z − x term is 0)
                F_x = F_p;
                y_is_x = b == T(0);
            } else {
                copy(x, x_prev);                      // x_k = x_{k−1}
                lincomb(T(1) - a, x, a, *z, y);       // y = x_k + a(z_k − x_k)
                y_is_x = a == T(0);
            }
        }
        t = restart ? 1.0 : t_next;
        monitor.record_penalty(1.0 / step.lipschitz);
        if (monitor.record(k, x, F_x, ch.relative())) return finish();
        if (ch.relative() <= params.tol) {
            monitor.finish(Status::converged, "relative change below tol");
            return finish();
        }
    }
    monitor.finish(Status::max_iterations, "iteration budget exhausted");
    return finish();
}

}  // namespace lucid
