#pragma once
/// \file pnp_admm.hpp
/// Plug-and-play ADMM: ADMM with the prox of the prior replaced by a denoiser.

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

/// Parameters of `pnp_admm`.
struct PnpAdmmParams {
    int max_iter = 50;              ///< iteration budget
    /// Prior weight λ against the data term ½‖Ax − y‖²: ρ_k = λ/σ_k². With
    /// additive noise of standard deviation σ_n the MAP-consistent choice is λ = σ_n².
    double lambda = 1e-4;
    SigmaSchedule sigma{};          ///< denoiser strength σ_k (decreasing σ = increasing ρ, Chan et al. 2017)
    double tol = 1e-4;              ///< stop when the fixed-point residual is ≤ tol (0: run max_iter)
    int cg_max_iter = 100;          ///< inner CG when the x-update has no closed form
    double cg_tol = 1e-8;
    bool compute_objective = false; ///< record f(x) (there is no prior value to add)
    bool record_history = true;
    double divergence_factor = 1e8;

    void validate() const {
        constexpr const char* where = "lucid::pnp_admm";
        detail::validate_common(where, max_iter, tol, divergence_factor);
        require_positive(where, "lambda", lambda);
        sigma.validate(where);
        require(cg_max_iter >= 1, where, "cg_max_iter", ">= 1", cg_max_iter);
        require(std::isfinite(cg_tol) && cg_tol > 0, where, "cg_tol", "finite and > 0", cg_tol);
    }
};

/// Plug-and-play ADMM (Venkatakrishnan, Bouman & Wohlberg 2013, "Plug-and-play
/// priors for model based reconstruction", IEEE GlobalSIP; with the increasing
/// penalty of Chan, Wang & Elgendy 2017, "Plug-and-play ADMM for image
/// restoration: fixed-point convergence and applications", IEEE TCI 3(1), Alg. 1)
/// for a data term f (e.g. LeastSquares(A, y)) and any Denoiser D:
/// \f[ x_{k+1} = \mathrm{prox}_{f/\rho_k}(v_k - u_k),\quad
///     v_{k+1} = D\big(x_{k+1} + u_k,\ \sigma_k\big),\quad
///     u_{k+1} = u_k + x_{k+1} - v_{k+1}, \f]
/// ρ_k = λ/σ_k². With a MAP denoiser D(·, σ) = prox_{σ²φ} (e.g. ProxDenoiser)
/// the v-step is prox_{(λφ)/ρ}, so this is ADMM for min f + λφ; for a fixed σ
/// any proximal denoiser (e.g. TvDenoiser) makes it an ADMM, and then the
/// fixed-point residual below is non-increasing (He & Yuan 2015, "On
/// non-ergodic convergence rate of Douglas–Rachford alternating direction
/// method of multipliers", Numer. Math. 130, Thm. 5.1). When σ changes the
/// scaled dual is rescaled, u ← u·ρ_k/ρ_{k+1}, so the unscaled multiplier is kept.
/// The x-update is f's prox (closed form by FFT/DCT for LeastSquares with a
/// diagonalized AᵀA, warm-started CG otherwise).
///
/// Residual (fixed-point): \f$ \sqrt{\|v_{k+1} - v_k\|^2 + \|u_{k+1} - u_k\|^2 / n} \f$
/// per element (n = size). History: residual, f(x) if requested, σ_k as `penalty`,
/// primal ‖x − v‖ and dual ρ‖v_{k+1} − v_k‖ residuals. Returns x (v, the
/// denoised variable, is within the primal residual of it).
template <class F, class D, Vector V, class Callback = callbacks::None>
    requires Functional<F, V> && Denoiser<D, V>
SolverResult<V> pnp_admm(F f, D denoiser, const V& x0, PnpAdmmParams params = {}, Callback&& callback = {}) {
    params.validate();
    detail::require_schedule_within("lucid::pnp_admm", params.sigma, denoiser);
    lucid::detail::require_start_in_domain("lucid::pnp_admm", f, x0);
    using T = scalar_t<V>;
    using Id = ops::Identity<V>;
    SolverResult<V> out;
    // x and its predecessor swap each iteration, so a diverged run returns the last finite x
    V x = clone(x0), x_prev = clone(x0), v = clone(x0), v_new = zeros_like(x0), u = zeros_like(x0),
      arg = zeros_like(x0);
    const Id identity(shape_of(x0));
    CgParams cg;
    cg.max_iter = params.cg_max_iter;
    cg.tol = std::is_same_v<T, float> ? std::max(params.cg_tol, 1e-6) : params.cg_tol;
    detail::QuadraticUpdate<F, Id, V> update(f, identity, x0, cg);
    const double n = double(element_count(x0));
    detail::Monitor<V, Callback> monitor(out, callback, params.max_iter, params.record_history);
    const detail::DivergenceGuard diverged(params.divergence_factor, double(norm(x0)));
    auto finish = [&] { out.x = std::move(x); return std::move(out); };
    double rho = params.lambda / std::pow(params.sigma.at(0), 2);

    for (int k = 1; k <= params.max_iter; ++k) {
        const double sigma = params.sigma.at(k - 1);
        const double rho_k = params.lambda / (sigma * sigma);
        if (rho_k != rho) scale(T(rho / rho_k), u);   // keep the unscaled multiplier ρu
        rho = rho_k;
        update.set_rho(T(rho));
        std::swap(x, x_prev);
        if (!update.closed_form()) copy(x_prev, x);    // warm start for CG
        lincomb(T(1), v, T(-1), u, arg);
        update.solve(arg, x);                          // x = prox_{f/ρ}(v − u)
        lincomb(T(1), x, T(1), u, arg);
        denoiser.denoise(arg, T(sigma), v_new);        // v = D(x + u, σ)
        double dv2 = 0, du2 = 0;
        detail::for_each_leaf([&](auto xs, auto vn, auto vo, auto us) {
            for (std::size_t i = 0; i < xs.size(); ++i) {
                const double dv = double(vn[i]) - double(vo[i]);
                const double du = double(xs[i]) - double(vn[i]);   // u_{k+1} − u_k = x_{k+1} − v_{k+1}
                us[i] += T(du);
                dv2 += dv * dv;
                du2 += du * du;
            }
        }, x, v_new, v, u);
        std::swap(v, v_new);
        const double residual = std::sqrt((dv2 + du2) / n);
        if (diverged(std::sqrt(dv2), residual)) {
            std::swap(x, x_prev);
            monitor.diverge(k, "the iterate diverged");
            return finish();
        }
        const double objective = params.compute_objective ? double(f.value(x)) : detail::nan_value;
        monitor.record_split(std::sqrt(du2), rho * std::sqrt(dv2));
        monitor.record_penalty(sigma);
        if (monitor.record(k, x, objective, residual)) return finish();
        if (params.tol > 0 && residual <= params.tol) {
            monitor.finish(Status::converged, "fixed-point residual below tol");
            return finish();
        }
    }
    monitor.finish(Status::max_iterations, "iteration budget exhausted");
    return finish();
}

/// The same with a proximable functional φ as the prior: it runs as the
/// denoiser `denoisers::ProxDenoiser(prior)`, D(y, σ) = prox_{σ²φ}(y).
/// ```cpp
/// auto r = lucid::pnp_admm(lucid::LeastSquares(A, y), lucid::L1<double>(1.0), y);
/// ```
template <class F, class P, Vector V, class Callback = callbacks::None>
    requires Functional<F, V> && Proximable<P, V> && (!Denoiser<P, V>)
SolverResult<V> pnp_admm(F f, P prior, const V& x0, PnpAdmmParams params = {}, Callback&& callback = {}) {
    return pnp_admm(std::move(f), denoisers::ProxDenoiser<P>(std::move(prior)), x0, std::move(params),
                  std::forward<Callback>(callback));
}

}  // namespace lucid
