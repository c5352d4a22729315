#pragma once
/// \file pdhg.hpp
/// The primal–dual hybrid gradient method of Chambolle & Pock for min f(x) + g(Kx).

#include <algorithm>
#include <cmath>
#include <utility>

#include "lucid/core/error.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/ops/operator_norm.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/monitor.hpp"
#include "lucid/solvers/start_point.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// \f$ \mathrm{prox}_{\sigma g^*}(v) \f$ by Moreau's identity (Moreau 1965;
/// Bauschke & Combettes 2017, Thm. 14.3):
/// \f[ \mathrm{prox}_{\sigma g^*}(v) = v - \sigma\,\mathrm{prox}_{g/\sigma}(v/\sigma), \f]
/// or g's own `prox_conjugate` when it has one. `scratch` has v's shape;
/// `out` may alias v.
template <class G, Vector W>
    requires Proximable<G, W>
void prox_conjugate(const G& g, const W& v, scalar_t<W> sigma, W& out, W& scratch) {
    using T = scalar_t<W>;
    require_positive("lucid::prox_conjugate", "sigma", sigma);
    if constexpr (HasConjugateProx<G, W>) {
        g.prox_conjugate(v, sigma, out);
    } else {
        lincomb(T(1) / sigma, v, T(0), v, scratch);   // v/σ
        g.prox(scratch, T(1) / sigma, scratch);       // prox_{g/σ}(v/σ)
        lincomb(T(1), v, -sigma, scratch, out);       // v − σ·prox
    }
}

namespace detail {

/// Sums of one relaxation pass of `pdhg` (double).
struct RelaxSums {
    double residual = 0;  ///< Σ (Δk − Δv/step)²
    double step = 0;      ///< Σ Δv² (when asked for)
    double v_norm = 0;    ///< Σ v_{n+1}²
    double k_norm = 0;    ///< Σ k_{n+1}²
};

/// One fused relaxation pass over a leaf of n elements: Δv = ρ(ṽ − v),
/// Δk = ρ(k̃ − k), ṽ ← v + Δv, k̃ ← k + Δk, with the sums of RelaxSums
/// (inv_step = 1/τ or 1/σ; Σ Δv² only WithStep: the dual pass has no use
/// for it). Eight partial sums per quantity: a single
/// double accumulator is a chain of dependent additions the compiler may not
/// reorder, which made these passes latency-bound (float PDHG ran slower
/// than double).
template <bool WithStep, class T>
RelaxSums relax_and_measure(const T* __restrict v, T* __restrict vt, const T* __restrict k, T* __restrict kt,
                            std::size_t n, T rho, double inv_step) {
    constexpr std::size_t L = 8;
    double res[L] = {}, stp[L] = {}, vn[L] = {}, kn[L] = {};
    auto one = [&](std::size_t i, std::size_t l) {
        const T dv = rho * (vt[i] - v[i]);
        const T dk = rho * (kt[i] - k[i]);
        const double r = double(dk) - double(dv) * inv_step;
        vt[i] = v[i] + dv;
        kt[i] = k[i] + dk;
        res[l] += r * r;
        if constexpr (WithStep) stp[l] += double(dv) * double(dv);
        vn[l] += double(vt[i]) * double(vt[i]);
        kn[l] += double(kt[i]) * double(kt[i]);
    };
    std::size_t i = 0;
    for (; i + L <= n; i += L)
        for (std::size_t l = 0; l < L; ++l) one(i + l, l);
    for (; i < n; ++i) one(i, 0);
    RelaxSums s;
    for (std::size_t l = 0; l < L; ++l) {
        s.residual += res[l];
        s.step += stp[l];
        s.v_norm += vn[l];
        s.k_norm += kn[l];
    }
    return s;
}

}  // namespace detail

/// Parameters of `pdhg`.
struct PdhgParams {
    int max_iter = 500;             ///< iteration budget
    double tol = 1e-5;              ///< stop when both relative primal–dual residuals are ≤ tol (0: run max_iter)
    double tau = 0;                 ///< primal step; 0 = automatic (see `pdhg`)
    double sigma = 0;               ///< dual step; 0 = automatic
    double theta = 1;               ///< extrapolation θ ∈ [0, 1]
    double relaxation = 1;          ///< ρ ∈ (0, 2): (x, y) ← ρ(x̃, ỹ) + (1 − ρ)(x, y); needs θ = 1 when ≠ 1
    double operator_norm = 0;       ///< ‖K‖ if known; 0 = power iteration (+1%)
    bool compute_objective = true;  ///< record f(x) + g(Kx)
    bool record_history = true;
    double divergence_factor = 1e8; ///< diverged when a step exceeds this times max(1, ‖x₀‖)

    void validate() const {
        constexpr const char* where = "lucid::pdhg";
        detail::validate_common(where, max_iter, tol, divergence_factor);
        require(std::isfinite(tau) && tau >= 0, where, "tau", "finite and >= 0 (0 = automatic)", tau);
        require(std::isfinite(sigma) && sigma >= 0, where, "sigma", "finite and >= 0 (0 = automatic)", sigma);
        require(theta >= 0 && theta <= 1, where, "theta", "in [0, 1]", theta);
        require(relaxation > 0 && relaxation < 2, where, "relaxation", "in (0, 2)", relaxation);
        require(relaxation == 1 || theta == 1, where, "theta", "1 when relaxation != 1", theta);
        require(std::isfinite(operator_norm) && operator_norm >= 0, where, "operator_norm", "finite and >= 0",
                operator_norm);
    }
};

/// Primal–dual hybrid gradient (Chambolle & Pock 2011, "A first-order
/// primal-dual algorithm for convex problems with applications to imaging",
/// J. Math. Imaging Vis. 40, Algorithm 1) for the saddle-point form of
/// \f$ \min_x f(x) + g(Kx) \f$, written primal-first with over-relaxation as in
/// Condat 2013 (J. Optim. Theory Appl. 158, Algorithm 3.1 with h = 0) and
/// Chambolle & Pock 2016 (Math. Program. 159, eq. (5)):
/// \f[ \tilde x = \mathrm{prox}_{\tau f}(x_n - \tau K^\top y_n),\quad
///     \bar x = \tilde x + \theta(\tilde x - x_n),\quad
///     \tilde y = \mathrm{prox}_{\sigma g^*}(y_n + \sigma K\bar x), \f]
/// \f[ (x_{n+1}, y_{n+1}) = \rho(\tilde x, \tilde y) + (1-\rho)(x_n, y_n). \f]
/// Converges for θ = 1 and τσ‖K‖² < 1. Steps: given τ and σ are used as is;
/// one given → the other is 0.99/(given·‖K‖²); none → τ = σ = 0.99/‖K‖.
/// prox_{σg*} comes from Moreau's identity (`prox_conjugate`).
///
/// Residuals (Goldstein, Li, Yuan, Esser & Baraniuk 2015, "Adaptive primal-dual
/// splitting methods for statistical learning and image processing", eqs. (15)–(16)):
/// p = (x_n − x_{n+1})/τ − Kᵀ(y_n − y_{n+1}), d = (y_n − y_{n+1})/σ − K(x_n − x_{n+1}),
/// relative to max(‖x‖/τ, ‖Kᵀy‖) and max(‖y‖/σ, ‖Kx‖); they come from the
/// Kx̃ and Kᵀỹ the iteration computes anyway (one K and one Kᵀ per iteration).
/// History: objective f(x) + g(Kx), residual max(p_rel, d_rel), both residuals, τ.
/// ```cpp
/// auto K = lucid::stack(A, lucid::ops::Gradient<double>(y.shape()));
/// auto g = lucid::separable_sum(lucid::SquaredL2(1.0, y), lucid::L21Norm<double>(lambda));
/// auto r = lucid::pdhg(lucid::Zero<double>(), g, K, y, {.max_iter = 1000});
/// ```
template <class F, class G, LinearOperator K, Vector V, class Callback = callbacks::None>
    requires std::same_as<domain_t<K>, V> && Proximable<F, V> && Proximable<G, range_t<K>>
SolverResult<V> pdhg(F f, G g, K k, const V& x0, PdhgParams params = {}, Callback&& callback = {}) {
    params.validate();
    constexpr const char* where = "lucid::pdhg";
    require(shape_of(x0) == k.domain_shape(), where, "x0", "of the domain shape of K", element_count(x0));
    detail::require_finite_start(where, x0);
    using T = scalar_t<V>;
    using W = range_t<K>;
    double tau = params.tau, sigma = params.sigma;
    if (tau == 0 || sigma == 0) {
        double L = params.operator_norm;
        if (L == 0) L = 1.01 * double(operator_norm(k));
        require(L > 0 && std::isfinite(L), where, "K", "an operator with a finite, non-zero norm", L);
        if (tau == 0 && sigma == 0) tau = sigma = 0.99 / L;
        else if (tau == 0) tau = 0.99 / (sigma * L * L);
        else sigma = 0.99 / (tau * L * L);
    }
    SolverResult<V> out;
    V x = clone(x0), x_t = zeros_like(x0), kty = zeros_like(x0), kty_t = zeros_like(x0);
    W y = make_range(k), y_t = make_range(k), kx = make_range(k), kx_t = make_range(k), scratch = make_range(k);
    k.apply(x, kx);
    const T theta = T(params.theta), rho = T(params.relaxation);
    const double inv_tau = 1 / tau, inv_sigma = 1 / sigma;  // a division per element would dominate the residual passes
    detail::Monitor<V, Callback> monitor(out, callback, params.max_iter, params.record_history);
    const detail::DivergenceGuard diverged(params.divergence_factor, double(norm(x0)));
    auto finish = [&] { out.x = std::move(x); return std::move(out); };

    for (int it = 1; it <= params.max_iter; ++it) {
        lincomb(T(1), x, T(-tau), kty, x_t);
        f.prox(x_t, T(tau), x_t);                                   // x̃ = prox_{τf}(x − τKᵀy)
        k.apply(x_t, kx_t);                                         // Kx̃
        detail::for_each_leaf([&](auto a, auto b, auto c, auto o) { // y + σK x̄, x̄ = x̃ + θ(x̃ − x)
            const T s = T(sigma);
            for (std::size_t i = 0; i < o.size(); ++i) o[i] = a[i] + s * (b[i] + theta * (b[i] - c[i]));
        }, y, kx_t, kx, y_t);
        prox_conjugate(g, y_t, T(sigma), y_t, scratch);             // ỹ = prox_{σg*}(y + σKx̄)
        k.apply_adjoint(y_t, kty_t);                                // Kᵀỹ
        // Relaxation and residuals in fused passes: v_{n+1} = ρṽ + (1 − ρ)v_n for v ∈ {x, Kᵀy, y, Kx},
        // written over the ṽ buffers (then swapped in, so a diverged step leaves v_n untouched).
        double p2 = 0, xn2 = 0, kty2 = 0, d2 = 0, yn2 = 0, kx2 = 0, step2 = 0;
        detail::for_each_leaf([&](auto xs, auto xt, auto ks, auto kt) {
            const auto s = detail::relax_and_measure<true, T>(xs.data(), xt.data(), ks.data(), kt.data(), xs.size(), rho,
                                                        inv_tau);
            p2 += s.residual;      // ‖Kᵀ(y_{n+1} − y_n) − (x_{n+1} − x_n)/τ‖²
            step2 += s.step;       // ‖x_{n+1} − x_n‖²
            xn2 += s.v_norm;       // ‖x_{n+1}‖²
            kty2 += s.k_norm;      // ‖Kᵀy_{n+1}‖²
        }, x, x_t, kty, kty_t);
        detail::for_each_leaf([&](auto ys, auto yt, auto ks, auto kt) {
            const auto s = detail::relax_and_measure<false, T>(ys.data(), yt.data(), ks.data(), kt.data(), ys.size(), rho,
                                                        inv_sigma);
            d2 += s.residual;      // ‖K(x_{n+1} − x_n) − (y_{n+1} − y_n)/σ‖²
            yn2 += s.v_norm;       // ‖y_{n+1}‖²
            kx2 += s.k_norm;       // ‖Kx_{n+1}‖²
        }, y, y_t, kx, kx_t);
        if (diverged(std::sqrt(step2), p2, d2, yn2)) {
            monitor.diverge(it, "the iterate diverged");
            return finish();
        }
        std::swap(x, x_t);
        std::swap(kty, kty_t);
        std::swap(y, y_t);
        std::swap(kx, kx_t);
        const double p_rel = std::sqrt(p2) / std::max({std::sqrt(xn2) / tau, std::sqrt(kty2), 1e-300});
        const double d_rel = std::sqrt(d2) / std::max({std::sqrt(yn2) / sigma, std::sqrt(kx2), 1e-300});
        const double objective = params.compute_objective ? double(f.value(x)) + double(g.value(kx)) : detail::nan_value;
        monitor.record_split(std::sqrt(p2), std::sqrt(d2));
        monitor.record_penalty(tau);
        if (monitor.record(it, x, objective, std::max(p_rel, d_rel))) return finish();
        if (params.tol > 0 && p_rel <= params.tol && d_rel <= params.tol) {
            monitor.finish(Status::converged, "relative primal-dual residuals below tol");
            return finish();
        }
    }
    monitor.finish(Status::max_iterations, "iteration budget exhausted");
    return finish();
}

}  // namespace lucid
