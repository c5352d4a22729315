#pragma once
/// \file pnp_hqs.hpp
/// Plug-and-play half-quadratic splitting.

#include <algorithm>
#include <cmath>
#include <utility>

#include "lucid/core/error.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/denoisers/denoiser.hpp"
#include "lucid/denoisers/prox_denoiser.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/ops/identity.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/monitor.hpp"
#include "lucid/solvers/quadratic_update.hpp"
#include "lucid/solvers/sigma_schedule.hpp"
#include "lucid/solvers/start_point.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// Parameters of `pnp_hqs`.
struct PnpHqsParams {
    int max_iter = 30;              ///< iteration budget (usually = sigma.steps)
    double lambda = 1e-4;           ///< prior weight λ: μ_k = λ/σ_k² (MAP-consistent: λ = σ_n²)
    SigmaSchedule sigma{.initial = 49.0 / 255, .final = 0.01, .steps = 30};  ///< decreasing σ_k from 49/255 (Zhang et al. 2017)
    double tol = 0;                 ///< stop when ‖x_k − x_{k−1}‖ ≤ tol·‖x_k‖ after the schedule (0: run max_iter)
    int cg_max_iter = 100;
    double cg_tol = 1e-8;
    bool compute_objective = false; ///< record f(x)
    bool record_history = true;
    double divergence_factor = 1e8;

    void validate() const {
        constexpr const char* where = "lucid::pnp_hqs";
        detail::validate_common(where, max_iter, tol, divergence_factor);
        require_positive(where, "lambda", lambda);
        sigma.validate(where);
        require(cg_max_iter >= 1, where, "cg_max_iter", ">= 1", cg_max_iter);
        require(std::isfinite(cg_tol) && cg_tol > 0, where, "cg_tol", "finite and > 0", cg_tol);
    }
};

/// Plug-and-play HQS (Zhang, Zuo, Gu & Zhang 2017, "Learning deep CNN denoiser
/// prior for image restoration", CVPR, eqs. (6a)–(6b); Venkatakrishnan et al.
/// 2013 for the plug-and-play idea):
/// \f[ x_{k} = \mathrm{prox}_{f/\mu_k}(z_{k-1}),\qquad z_k = D(x_k, \sigma_k),\qquad \mu_k = \lambda/\sigma_k^2, \f]
/// with σ_k decreasing (a continuation schedule). z₀ = x₀.
/// Residual ‖x_k − x_{k−1}‖/‖x_k‖; history σ_k as `penalty`. Returns z_k (the last denoised iterate).
template <class F, class D, Vector V, class Callback = callbacks::None>
    requires Functional<F, V> && Denoiser<D, V>
SolverResult<V> pnp_hqs(F f, D denoiser, const V& x0, PnpHqsParams params = {}, Callback&& callback = {}) {
    params.validate();
    detail::require_schedule_within("lucid::pnp_hqs", params.sigma, denoiser);
    lucid::detail::require_start_in_domain("lucid::pnp_hqs", f, x0);
    using T = scalar_t<V>;
    using Id = ops::Identity<V>;
    SolverResult<V> out;
    V z = clone(x0), x = clone(x0), x_prev = clone(x0), z_new = clone(x0);
    const Id identity(shape_of(x0));
    CgParams cg;
    cg.max_iter = params.cg_max_iter;
    cg.tol = std::is_same_v<T, float> ? std::max(params.cg_tol, 1e-6) : params.cg_tol;
    detail::QuadraticUpdate<F, Id, V> update(f, identity, x0, cg);
    detail::Monitor<V, Callback> monitor(out, callback, params.max_iter, params.record_history);
    const detail::DivergenceGuard diverged(params.divergence_factor, double(norm(x0)));
    auto finish = [&] { out.x = std::move(z); return std::move(out); };

    for (int k = 1; k <= params.max_iter; ++k) {
        const double sigma = params.sigma.at(k - 1);
        update.set_rho(T(params.lambda / (sigma * sigma)));
        std::swap(x, x_prev);
        if (!update.closed_form()) copy(x_prev, x);  // warm start for CG
        update.solve(z, x);                       // x = prox_{f/μ}(z)
        const auto ch = detail::change(x, x_prev);
        if (diverged(ch.diff, ch.norm)) {
            monitor.diverge(k, "the iterate diverged");
            return finish();
        }
        denoiser.denoise(x, T(sigma), z_new);     // z = D(x, σ)
        // z is the result: a non-finite denoiser output must not replace the last finite one
        if (!all_finite(z_new)) {
            monitor.diverge(k, "the denoiser returned a non-finite value");
            return finish();
        }
        std::swap(z, z_new);
        const double objective = params.compute_objective ? double(f.value(z)) : detail::nan_value;
        monitor.record_penalty(sigma);
        if (monitor.record(k, z, objective, ch.relative())) return finish();
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
/// auto r = lucid::pnp_hqs(lucid::LeastSquares(A, y), lucid::L1<double>(1.0), y);
/// ```
template <class F, class P, Vector V, class Callback = callbacks::None>
    requires Functional<F, V> && Proximable<P, V> && (!Denoiser<P, V>)
SolverResult<V> pnp_hqs(F f, P prior, const V& x0, PnpHqsParams params = {}, Callback&& callback = {}) {
    return pnp_hqs(std::move(f), denoisers::ProxDenoiser<P>(std::move(prior)), x0, std::move(params),
                  std::forward<Callback>(callback));
}

}  // namespace lucid
