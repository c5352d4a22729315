#pragma once
/// \file red.hpp
/// Regularization by denoising (RED): steepest-descent and fixed-point solvers.

#include <algorithm>
#include <cmath>
#include <string_view>
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
#include "lucid/solvers/smooth_term.hpp"
#include "lucid/solvers/start_point.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// Which RED iteration to run.
enum class RedMethod {
    steepest_descent,  ///< x ← x − μ(∇f(x) + λ(x − D(x)))
    fixed_point        ///< solve ∇f(x) + λ(x − D(x_k)) = 0 for x (one linear solve / prox of f)
};

constexpr std::string_view to_string(RedMethod m) {
    return m == RedMethod::steepest_descent ? "steepest_descent" : "fixed_point";
}

/// Parameters of `red`.
struct RedParams {
    int max_iter = 100;             ///< iteration budget
    RedMethod method = RedMethod::fixed_point;
    double lambda = 1e-3;           ///< regularization weight λ of ρ(x) = ½xᵀ(x − D(x)) against ½‖Ax − y‖²
    SigmaSchedule sigma{};          ///< denoiser strength (usually constant, ~ the noise level)
    double step = 0;                ///< steepest descent μ; 0 = 1/(L + 2λ)
    double tol = 1e-5;              ///< stop when ‖x_k − x_{k−1}‖ ≤ tol·‖x_k‖ (0: run max_iter)
    int cg_max_iter = 100;          ///< inner CG for the fixed-point solve without a closed form
    double cg_tol = 1e-8;
    bool compute_objective = true;  ///< record the RED energy E(x_{k−1}) (free: D(x_{k−1}) is computed anyway)
    bool record_history = true;
    double divergence_factor = 1e8;

    void validate() const {
        constexpr const char* where = "lucid::red";
        detail::validate_common(where, max_iter, tol, divergence_factor);
        require_positive(where, "lambda", lambda);
        sigma.validate(where);
        require(std::isfinite(step) && step >= 0, where, "step", "finite and >= 0 (0 = automatic)", step);
        require(cg_max_iter >= 1, where, "cg_max_iter", ">= 1", cg_max_iter);
        require(std::isfinite(cg_tol) && cg_tol > 0, where, "cg_tol", "finite and > 0", cg_tol);
    }
};

/// Regularization by denoising (Romano, Elad & Milanfar 2017, "The little
/// engine that could: regularization by denoising (RED)", SIAM J. Imaging Sci.
/// 10(4)): minimize
/// \f[ E(x) = f(x) + \tfrac\lambda2\, x^\top(x - D(x, \sigma)) \f]
/// whose gradient, for a denoiser with symmetric Jacobian that is locally
/// homogeneous, is \f$ \nabla f(x) + \lambda(x - D(x)) \f$ (§4). Two solvers:
/// - steepest descent (§5.1): \f$ x_{k+1} = x_k - \mu(\nabla f(x_k) + \lambda(x_k - D(x_k))) \f$;
/// - fixed point (§5.2): \f$ x_{k+1} \f$ solves \f$ \nabla f(x) + \lambda(x - D(x_k)) = 0 \f$,
///   i.e. \f$ x_{k+1} = \mathrm{prox}_{f/\lambda}(D(x_k)) \f$ — for f = ½‖Ax − y‖²,
///   \f$ (A^\top A + \lambda I)^{-1}(A^\top y + \lambda D(x_k)) \f$, one FFT/DCT pair
///   when AᵀA is diagonalized (CG otherwise).
/// One denoiser call per iteration. Residual ‖x_k − x_{k−1}‖/‖x_k‖; objective
/// E(x_{k−1}) (the iterate each update starts from); σ_k as `penalty`.
template <class F, class D, Vector V, class Callback = callbacks::None>
    requires Differentiable<F, V> && Denoiser<D, V>
SolverResult<V> red(F f, D denoiser, const V& x0, RedParams params = {}, Callback&& callback = {}) {
    params.validate();
    detail::require_schedule_within("lucid::red", params.sigma, denoiser);
    lucid::detail::require_start_in_domain("lucid::red", f, x0);
    using T = scalar_t<V>;
    using Id = ops::Identity<V>;
    SolverResult<V> out;
    V x = clone(x0), x_prev = clone(x0), dx = zeros_like(x0), grad = zeros_like(x0);
    const Id identity(shape_of(x0));
    detail::SmoothTerm<F, V> smooth(f, x0);
    CgParams cg;
    cg.max_iter = params.cg_max_iter;
    cg.tol = std::is_same_v<T, float> ? std::max(params.cg_tol, 1e-6) : params.cg_tol;
    constexpr bool can_fixed_point =
        (detail::QuadraticDataTerm<F> || Proximable<F, V>);
    const T lam = T(params.lambda);
    double mu = params.step;
    if (params.method == RedMethod::steepest_descent && mu == 0) {
        const auto lip = smooth.lipschitz();
        require(bool(lip), "lucid::red", "step", "> 0 when f has no Lipschitz constant", params.step);
        mu = 1.0 / (double(*lip) + 2 * params.lambda);
    }
    if (params.method == RedMethod::fixed_point)
        require(can_fixed_point, "lucid::red", "method", "steepest_descent for an f without prox or quadratic form",
                "fixed_point");
    detail::Monitor<V, Callback> monitor(out, callback, params.max_iter, params.record_history);
    const detail::DivergenceGuard diverged(params.divergence_factor, double(norm(x0)));
    auto finish = [&] { out.x = std::move(x); return std::move(out); };
    auto energy = [&](const V& at, const V& denoised) {  // E(x) = f(x) + λ/2⟨x, x − D(x)⟩
        double s = 0;
        detail::for_each_leaf([&](auto a, auto b) {
            for (std::size_t i = 0; i < a.size(); ++i) s += double(a[i]) * (double(a[i]) - double(b[i]));
        }, at, denoised);
        return double(smooth.value(at)) + 0.5 * params.lambda * s;
    };

    if constexpr (can_fixed_point) {
        if (params.method == RedMethod::fixed_point) {
            detail::QuadraticUpdate<F, Id, V> update(f, identity, x0, cg);
            update.set_rho(lam);
            for (int k = 1; k <= params.max_iter; ++k) {
                const double sigma = params.sigma.at(k - 1);
                denoiser.denoise(x, T(sigma), dx);                // D(x_k)
                const double objective = params.compute_objective ? energy(x, dx) : detail::nan_value;
                std::swap(x, x_prev);
                copy(x_prev, x);                                 // warm start for CG
                update.solve(dx, x);                             // x = argmin f + λ/2‖x − D(x_k)‖²
                const auto ch = detail::change(x, x_prev);
                if (diverged(ch.diff, ch.norm)) {
                    std::swap(x, x_prev);
                    monitor.diverge(k, "the iterate diverged");
                    return finish();
                }
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
    }
    for (int k = 1; k <= params.max_iter; ++k) {
        const double sigma = params.sigma.at(k - 1);
        denoiser.denoise(x, T(sigma), dx);                       // D(x_k)
        const double objective = params.compute_objective ? energy(x, dx) : detail::nan_value;
        smooth.gradient(x, grad);                                // ∇f(x_k)
        std::swap(x, x_prev);
        const T m = T(mu);
        detail::for_each_leaf([m, lam](auto xn, auto xo, auto g, auto d) {  // x − μ(∇f + λ(x − D(x)))
            for (std::size_t i = 0; i < xn.size(); ++i) xn[i] = xo[i] - m * (g[i] + lam * (xo[i] - d[i]));
        }, x, x_prev, grad, dx);
        const auto ch = detail::change(x, x_prev);
        if (diverged(ch.diff, ch.norm)) {
            std::swap(x, x_prev);
            monitor.diverge(k, "the iterate diverged");
            return finish();
        }
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
/// auto r = lucid::red(lucid::LeastSquares(A, y), lucid::L1<double>(1.0), y);
/// ```
template <class F, class P, Vector V, class Callback = callbacks::None>
    requires Differentiable<F, V> && Proximable<P, V> && (!Denoiser<P, V>)
SolverResult<V> red(F f, P prior, const V& x0, RedParams params = {}, Callback&& callback = {}) {
    return red(std::move(f), denoisers::ProxDenoiser<P>(std::move(prior)), x0, std::move(params),
                  std::forward<Callback>(callback));
}

}  // namespace lucid
