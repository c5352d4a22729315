#pragma once
/// \file pnp_fista.hpp
/// Plug-and-play FISTA: accelerated forward–backward with a denoiser as the backward step.

#include <cmath>
#include <utility>

#include "lucid/core/error.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/denoisers/denoiser.hpp"
#include "lucid/denoisers/prox_denoiser.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/fista.hpp"
#include "lucid/solvers/monitor.hpp"
#include "lucid/solvers/proximal_gradient.hpp"
#include "lucid/solvers/sigma_schedule.hpp"
#include "lucid/solvers/smooth_term.hpp"
#include "lucid/solvers/start_point.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// Parameters of `pnp_fista`.
struct PnpFistaParams {
    int max_iter = 50;              ///< iteration budget
    SigmaSchedule sigma{};          ///< denoiser strength σ_k
    double step = 0;                ///< gradient step γ; 0 = 1/L from lipschitz_constant(f)
    bool accelerate = true;         ///< false: PnP-ISTA (plain forward–backward)
    double tol = 1e-5;              ///< stop when ‖x_k − x_{k−1}‖ ≤ tol·‖x_k‖ after the schedule (0: run max_iter)
    bool compute_objective = false; ///< record f(x_k)
    bool record_history = true;
    double divergence_factor = 1e8;

    void validate() const {
        constexpr const char* where = "lucid::pnp_fista";
        detail::validate_common(where, max_iter, tol, divergence_factor);
        sigma.validate(where);
        require(std::isfinite(step) && step >= 0, where, "step", "finite and >= 0 (0 = 1/L)", step);
    }
};

/// Plug-and-play FISTA (Kamilov, Mansour & Wohlberg 2017, "A plug-and-play
/// priors approach for solving nonlinear imaging inverse problems", IEEE SPL
/// 24(12), Algorithm 1 (PnP-FISTA); the plug-and-play idea of Venkatakrishnan
/// et al. 2013): FISTA's prox step replaced by a denoiser,
/// \f[ x_k = D\big(y_k - \gamma\nabla f(y_k),\ \sigma_k\big),\quad
///     t_{k+1} = \tfrac{1 + \sqrt{1 + 4t_k^2}}{2},\quad
///     y_{k+1} = x_k + \tfrac{t_k - 1}{t_{k+1}}(x_k - x_{k-1}), \f]
/// γ = 1/L (L = lipschitz_constant(f), required unless `step` is given); σ_k
/// plays the role of √(γλ) of a prior λφ. Residual ‖x_k − x_{k−1}‖/‖x_k‖.
template <class F, class D, Vector V, class Callback = callbacks::None>
    requires Differentiable<F, V> && Denoiser<D, V>
SolverResult<V> pnp_fista(F f, D denoiser, const V& x0, PnpFistaParams params = {}, Callback&& callback = {}) {
    params.validate();
    detail::require_schedule_within("lucid::pnp_fista", params.sigma, denoiser);
    lucid::detail::require_start_in_domain("lucid::pnp_fista", f, x0);
    using T = scalar_t<V>;
    SolverResult<V> out;
    V x = clone(x0), x_prev = clone(x0), y = clone(x0), grad = zeros_like(x0), work = zeros_like(x0);
    detail::SmoothTerm<F, V> smooth(f, x0);
    double gamma = params.step;
    if (gamma == 0) {
        const auto lip = smooth.lipschitz();
        require(lip && *lip > 0, "lucid::pnp_fista", "step", "> 0 when f has no Lipschitz constant", params.step);
        gamma = 1.0 / double(*lip);
    }
    detail::StepControl step;
    step.lipschitz = 1.0 / gamma;
    double sigma = params.sigma.at(0);
    auto denoise_step = [&](const V& v, T, V& o) { denoiser.denoise(v, T(sigma), o); };
    double t = 1;
    detail::Monitor<V, Callback> monitor(out, callback, params.max_iter, params.record_history);
    const detail::DivergenceGuard diverged(params.divergence_factor, double(norm(x0)));
    auto finish = [&] { out.x = std::move(x); return std::move(out); };

    for (int k = 1; k <= params.max_iter; ++k) {
        sigma = params.sigma.at(k - 1);
        smooth.gradient(y, grad);
        detail::forward_backward(smooth, denoise_step, y, grad, detail::nan_value, x_prev, step, &work);
        std::swap(x, x_prev);                                  // x = x_k, x_prev = x_{k−1}
        const double t_next = params.accelerate ? (1 + std::sqrt(1 + 4 * t * t)) / 2 : 1.0;
        const T beta = params.accelerate ? T((t - 1) / t_next) : T(0);
        const auto ch = detail::momentum_step(x, x_prev, beta, y);
        if (diverged(ch.diff, ch.norm)) {
            std::swap(x, x_prev);
            monitor.diverge(k, "the iterate diverged");
            return finish();
        }
        t = t_next;
        const double objective = params.compute_objective ? double(f.value(x)) : detail::nan_value;
        monitor.record_penalty(sigma);
        if (monitor.record(k, x, objective, ch.relative())) return finish();
        if (params.tol > 0 && k >= params.sigma.steps && ch.relative() <= params.tol) {
            monitor.finish(Status::converged, "relative change below tol");
            return finish();
        }
    }
    monitor.finish(Status::max_iterations, "iteration budget exhausted");
    return finish();
}

/// The same with a proximable functional φ as the prior: it runs as the
/// denoiser `denoisers::ProxDenoiser(prior)`, D(y, σ) = prox_{σ²φ}(y).
/// ```cpp
/// auto r = lucid::pnp_fista(lucid::LeastSquares(A, y), lucid::L1<double>(1.0), y);
/// ```
template <class F, class P, Vector V, class Callback = callbacks::None>
    requires Differentiable<F, V> && Proximable<P, V> && (!Denoiser<P, V>)
SolverResult<V> pnp_fista(F f, P prior, const V& x0, PnpFistaParams params = {}, Callback&& callback = {}) {
    return pnp_fista(std::move(f), denoisers::ProxDenoiser<P>(std::move(prior)), x0, std::move(params),
                  std::forward<Callback>(callback));
}

}  // namespace lucid
