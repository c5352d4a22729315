#pragma once
/// \file hqs.hpp
/// Half-quadratic splitting with a continuation schedule for the penalty μ.

#include <algorithm>
#include <cmath>
#include <utility>

#include "lucid/core/error.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/ops/identity.hpp"
#include "lucid/solvers/admm.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/monitor.hpp"
#include "lucid/solvers/quadratic_update.hpp"
#include "lucid/solvers/start_point.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// Parameters of `hqs` (and `pnp_hqs`).
struct HqsParams {
    int max_iter = 100;             ///< iteration budget
    double mu = 1e-2;               ///< initial penalty μ₀ > 0
    double mu_growth = 1.5;         ///< μ_{k+1} = min(growth·μ_k, mu_max) (≥ 1; 1 = fixed μ)
    double mu_max = 1e4;            ///< final penalty
    double tol = 1e-5;              ///< stop when ‖x_k − x_{k−1}‖ ≤ tol·‖x_k‖ once μ = mu_max, or at once with mu_growth = 1 (0: run max_iter)
    int cg_max_iter = 100;          ///< inner CG budget when the x-update has no closed form
    double cg_tol = 1e-8;           ///< inner CG relative tolerance (raised to 1e-6 in float)
    bool compute_objective = true;  ///< record f(x) + g(Kx)
    bool record_history = true;
    double divergence_factor = 1e8; ///< diverged when a step exceeds this times max(1, ‖x₀‖)

    /// Throws lucid::Error naming the first field that breaks its rule; `where`
    /// names the caller in the message.
    void validate(const char* where = "lucid::hqs") const {
        detail::validate_common(where, max_iter, tol, divergence_factor);
        require_positive(where, "mu", mu);
        require(std::isfinite(mu_growth) && mu_growth >= 1, where, "mu_growth", "finite and >= 1", mu_growth);
        require(std::isfinite(mu_max) && mu_max >= mu, where, "mu_max", detail::concat("finite and >= mu (", mu, ")"),
                mu_max);
        require(cg_max_iter >= 1, where, "cg_max_iter", ">= 1", cg_max_iter);
        require(std::isfinite(cg_tol) && cg_tol > 0, where, "cg_tol", "finite and > 0", cg_tol);
    }
};

/// Half-quadratic splitting (Geman & Yang 1995, "Nonlinear image recovery with
/// half-quadratic regularization", IEEE TIP 4(7); in the penalty form of
/// Wang, Yang, Yin & Zhang 2008, "A new alternating minimization algorithm for
/// total variation image reconstruction", SIAM J. Imaging Sci. 1(3), eqs. (2.3)–(2.4))
/// for \f$ \min_x f(x) + g(Kx) \f$: alternate on
/// \f$ f(x) + g(z) + \tfrac{\mu}{2}\|Kx - z\|^2 \f$ while μ grows,
/// \f[ x_{k+1} = \arg\min_x f(x) + \tfrac{\mu_k}{2}\|Kx - z_k\|^2,\qquad
///     z_{k+1} = \mathrm{prox}_{g/\mu_k}(Kx_{k+1}),\qquad \mu_{k+1} = \min(\gamma\mu_k, \mu_{max}). \f]
/// HQS is ADMM without the dual variable: it solves the penalized problem,
/// whose minimizer tends to the true one as μ → ∞ (continuation). The
/// x-update is the same as ADMM's (closed form by FFT/DCT when available, CG otherwise).
/// History: objective f(x) + g(Kx), residual ‖x_k − x_{k−1}‖/‖x_k‖, penalty μ_k,
/// primal residual ‖Kx − z‖.
template <class F, class G, LinearOperator K, Vector V, class Callback = callbacks::None>
    requires std::same_as<domain_t<K>, V> && Functional<F, V> && Proximable<G, range_t<K>>
SolverResult<V> hqs(F f, G g, K k, const V& x0, HqsParams params = {}, Callback&& callback = {}) {
    params.validate();
    constexpr const char* where = "lucid::hqs";
    require(shape_of(x0) == k.domain_shape(), where, "x0", "of the domain shape of K", element_count(x0));
    detail::require_finite_start(where, x0);
    using T = scalar_t<V>;
    SolverResult<V> out;
    V x = clone(x0), x_prev = zeros_like(x0);
    auto kx = make_range(k), z = make_range(k);
    CgParams cg;
    cg.max_iter = params.cg_max_iter;
    cg.tol = std::is_same_v<T, float> ? std::max(params.cg_tol, 1e-6) : params.cg_tol;
    cg.record_history = false;
    detail::QuadraticUpdate<F, K, V> update(f, k, x0, cg);
    double mu = params.mu;
    k.apply(x, kx);
    g.prox(kx, T(1 / mu), z);                                  // z₀ = prox_{g/μ₀}(Kx₀)
    detail::Monitor<V, Callback> monitor(out, callback, params.max_iter, params.record_history);
    const detail::DivergenceGuard diverged(params.divergence_factor, double(norm(x0)));
    auto finish = [&] { out.x = std::move(x); return std::move(out); };

    for (int it = 1; it <= params.max_iter; ++it) {
        update.set_rho(T(mu));
        std::swap(x, x_prev);
        if (!update.closed_form()) copy(x_prev, x);            // warm start for CG
        const Status inner = update.solve(z, x);               // x = argmin f + μ/2‖Kx − z‖²
        k.apply(x, kx);
        g.prox(kx, T(1 / mu), z);                              // z = prox_{g/μ}(Kx)
        const auto ch = detail::change(x, x_prev);
        const double primal = double(detail::change(kx, z).diff);
        if (diverged(ch.diff, primal) || inner == Status::diverged) {
            std::swap(x, x_prev);
            monitor.diverge(it, "the iterate diverged");
            return finish();
        }
        const double objective = params.compute_objective ? double(f.value(x)) + double(g.value(kx)) : detail::nan_value;
        monitor.record_split(primal, detail::nan_value);
        monitor.record_penalty(mu);
        if (monitor.record(it, x, objective, ch.relative())) return finish();
        // the final penalty: mu_max reached, or a fixed μ (mu_growth = 1) that never will
        const bool final_penalty = mu >= params.mu_max || params.mu_growth == 1;
        if (params.tol > 0 && final_penalty && ch.relative() <= params.tol) {
            monitor.finish(Status::converged, "relative change below tol at the final penalty");
            return finish();
        }
        mu = std::min(mu * params.mu_growth, params.mu_max);
    }
    monitor.finish(Status::max_iterations, "iteration budget exhausted");
    return finish();
}

/// HQS for min f(x) + g(x) (K = identity): x ← prox_{f/μ}(z), z ← prox_{g/μ}(x).
template <class F, class G, Vector V, class Callback = callbacks::None>
    requires Proximable<F, V> && Proximable<G, V>
SolverResult<V> hqs(F f, G g, const V& x0, HqsParams params = {}, Callback&& callback = {}) {
    return hqs(std::move(f), std::move(g), ops::identity_like(x0), x0, params, std::forward<Callback>(callback));
}

}  // namespace lucid
