#pragma once
/// \file admm.hpp
/// ADMM for min f(x) + g(Kx) in scaled form, with residual balancing.

#include <algorithm>
#include <cmath>
#include <utility>

#include "lucid/core/error.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/ops/identity.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/conjugate_gradient.hpp"
#include "lucid/solvers/monitor.hpp"
#include "lucid/solvers/quadratic_update.hpp"
#include "lucid/solvers/start_point.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// Parameters of `admm` (and the ADMM part of `admm_tv`, `pnp_admm`).
struct AdmmParams {
    int max_iter = 300;            ///< iteration budget
    double rho = 1;                ///< initial penalty ρ > 0
    double tol = 1e-4;             ///< ε_rel of Boyd et al. §3.3.1 (0 with abs_tol 0: run max_iter)
    double abs_tol = 0;            ///< ε_abs (scaled by √(size) as in §3.3.1)
    double relaxation = 1;         ///< over-relaxation α ∈ (0, 2) (§3.4.3); 1 = plain ADMM
    bool adaptive_rho = true;      ///< residual balancing (§3.4.1)
    double balance_ratio = 10;     ///< μ: rebalance when one residual exceeds μ times the other
    double rho_factor = 2;         ///< τ: ρ ← τρ or ρ/τ
    int adapt_every = 1;           ///< consider rebalancing every this many iterations
    int cg_max_iter = 100;         ///< inner CG budget when the x-update has no closed form
    double cg_tol = 1e-8;          ///< inner CG relative tolerance (raised to 1e-6 in float)
    bool compute_objective = true; ///< record f(x_k) + g(z_k)
    bool record_history = true;
    double divergence_factor = 1e8;  ///< diverged when ‖Kx − z‖ exceeds this times max(1, ‖x₀‖, ‖Kx₀‖)

    void validate() const {
        constexpr const char* where = "lucid::admm";
        detail::validate_common(where, max_iter, tol, divergence_factor);
        require_positive(where, "rho", rho);
        require(std::isfinite(abs_tol) && abs_tol >= 0, where, "abs_tol", "finite and >= 0", abs_tol);
        require(relaxation > 0 && relaxation < 2, where, "relaxation", "in (0, 2)", relaxation);
        require(std::isfinite(balance_ratio) && balance_ratio > 1, where, "balance_ratio", "finite and > 1", balance_ratio);
        require(std::isfinite(rho_factor) && rho_factor > 1, where, "rho_factor", "finite and > 1", rho_factor);
        require(adapt_every >= 1, where, "adapt_every", ">= 1", adapt_every);
        require(cg_max_iter >= 1, where, "cg_max_iter", ">= 1", cg_max_iter);
        require(std::isfinite(cg_tol) && cg_tol > 0, where, "cg_tol", "finite and > 0", cg_tol);
    }

    CgParams cg() const {
        CgParams c;
        c.max_iter = cg_max_iter;
        c.tol = cg_tol;
        c.record_history = false;
        return c;
    }
};

namespace detail {

/// ADMM's z- and u-updates fused with the primal residual:
/// z⁺ ← α·Kx + (1−α)·z + u (the prox argument, written to z_new),
/// then after the prox: u ← u + α·Kx + (1−α)·z − z⁺, r = ‖Kx − z⁺‖.
template <Vector W>
void relaxed_argument(scalar_t<W> alpha, const W& kx, const W& z, const W& u, W& z_new) {
    for_each_leaf([alpha](auto a, auto b, auto c, auto o) {
        const auto beta = decltype(alpha)(1) - alpha;
        for (std::size_t i = 0; i < o.size(); ++i) o[i] = alpha * a[i] + beta * b[i] + c[i];
    }, kx, z, u, z_new);
}

struct DualUpdate {
    double primal = 0;   ///< ‖Kx − z⁺‖
    double kx_norm = 0;  ///< ‖Kx‖
    double z_norm = 0;   ///< ‖z⁺‖
};

template <Vector W>
DualUpdate dual_update(scalar_t<W> alpha, const W& kx, const W& z, const W& z_new, W& u) {
    double r2 = 0, k2 = 0, z2 = 0;
    for_each_leaf([&](auto a, auto b, auto c, auto o) {
        const auto beta = decltype(alpha)(1) - alpha;
        for (std::size_t i = 0; i < o.size(); ++i) {
            o[i] += alpha * a[i] + beta * b[i] - c[i];
            const double d = double(a[i]) - double(c[i]);
            r2 += d * d;
            k2 += double(a[i]) * double(a[i]);
            z2 += double(c[i]) * double(c[i]);
        }
    }, kx, z, z_new, u);
    return {std::sqrt(r2), std::sqrt(k2), std::sqrt(z2)};
}

}  // namespace detail

/// ADMM (Gabay & Mercier 1976; Glowinski & Marroco 1975) in the scaled form of
/// Boyd, Parikh, Chu, Peleato & Eckstein 2011, "Distributed optimization and
/// statistical learning via the alternating direction method of multipliers",
/// Found. Trends Mach. Learn. 3(1), §3.1.1, for
/// \f$ \min_x f(x) + g(Kx) \f$ split as f(x) + g(z) subject to Kx − z = 0:
/// \f[ x_{k+1} = \arg\min_x f(x) + \tfrac\rho2\|Kx - z_k + u_k\|^2, \f]
/// \f[ z_{k+1} = \mathrm{prox}_{g/\rho}\big(\alpha Kx_{k+1} + (1-\alpha)z_k + u_k\big), \f]
/// \f[ u_{k+1} = u_k + \alpha Kx_{k+1} + (1-\alpha)z_k - z_{k+1} \f]
/// (α = relaxation, §3.4.3). Stopping (§3.3.1): primal residual r = ‖Kx − z‖ ≤ ε_pri
/// and dual residual s = ρ‖Kᵀ(z_{k+1} − z_k)‖ ≤ ε_dual with
/// ε_pri = √p ε_abs + ε_rel max(‖Kx‖, ‖z‖), ε_dual = √n ε_abs + ε_rel ‖ρKᵀu‖.
/// Residual balancing (§3.4.1, eq. (3.13)): ρ ← τρ, u ← u/τ when r > μs;
/// ρ ← ρ/τ, u ← τu when s > μr.
///
/// The x-update (see quadratic_update.hpp): prox_{f/ρ} when K is the identity;
/// for f = LeastSquares(A, y) (or Tikhonov, or Zero) the normal equations
/// (AᵀA + ρKᵀK)x = Aᵀy + ρKᵀ(z − u), in closed form through one FFT or DCT
/// pair when `gram_spectrum_of(A)` and `gram_spectrum_of(K)` share a transform
/// (periodic, or reflect with symmetric kernels and Neumann differences), by
/// warm-started CG otherwise. K may be a `lucid::stack(...)` (g then a
/// `separable_sum` over the blocks).
///
/// History: objective f(x) + g(z), residual max(r/ε_pri, s/ε_dual) (≤ 1 at
/// convergence), primal and dual residuals, ρ. Workspace: 4 vectors of K's
/// range, 5 of the domain (+ the x-update's). For TV deblurring on large
/// images `admm_tv` does the same iteration with fused loops in less memory.
/// ```cpp
/// // min ½‖Ax − y‖² + λ‖∇x‖₂,₁ (isotropic TV)
/// auto r = lucid::admm(lucid::LeastSquares(A, y), lucid::L21Norm<double>(lambda),
///                      lucid::ops::Gradient<double>(y.shape()), y, {.rho = 1.0});
/// ```
template <class F, class G, LinearOperator K, Vector V, class Callback = callbacks::None>
    requires std::same_as<domain_t<K>, V> && Functional<F, V> && Proximable<G, range_t<K>>
SolverResult<V> admm(F f, G g, K k, const V& x0, AdmmParams params = {}, Callback&& callback = {}) {
    params.validate();
    constexpr const char* where = "lucid::admm";
    require(shape_of(x0) == k.domain_shape(), where, "x0", "of the domain shape of K", element_count(x0));
    detail::require_finite_start(where, x0);
    using T = scalar_t<V>;
    using W = range_t<K>;
    SolverResult<V> out;
    V x = clone(x0), x_prev = zeros_like(x0), ktz = zeros_like(x0), ktz_new = zeros_like(x0), ktu = zeros_like(x0);
    W kx = make_range(k), z = make_range(k), z_new = make_range(k), u = make_range(k);
    CgParams cg = params.cg();
    if constexpr (std::is_same_v<T, float>) cg.tol = std::max(cg.tol, 1e-6);
    detail::QuadraticUpdate<F, K, V> update(f, k, x0, cg);
    double rho = params.rho;
    update.set_rho(T(rho));
    const T alpha = T(params.relaxation);
    k.apply(x, z);                 // z₀ = Kx₀, u₀ = 0
    k.apply_adjoint(z, ktz);
    const double sqrt_p = std::sqrt(double(element_count(z))), sqrt_n = std::sqrt(double(element_count(x)));
    detail::Monitor<V, Callback> monitor(out, callback, params.max_iter, params.record_history);
    const detail::DivergenceGuard diverged(params.divergence_factor, std::max(double(norm(x0)), double(norm(z))));
    auto finish = [&] { out.x = std::move(x); return std::move(out); };

    for (int it = 1; it <= params.max_iter; ++it) {
        copy(x, x_prev);
        const Status inner = update.solve_split(ktz, ktu, z, u, kx, x);   // x-update
        k.apply(x, kx);
        detail::relaxed_argument(alpha, kx, z, u, z_new);
        g.prox(z_new, T(1 / rho), z_new);                                 // z-update
        const auto du = detail::dual_update(alpha, kx, z, z_new, u);      // u-update, r = ‖Kx − z‖
        std::swap(z, z_new);
        k.apply_adjoint(z, ktz_new);
        const double s = rho * double(detail::change(ktz_new, ktz).diff); // s = ρ‖Kᵀ(z_{k+1} − z_k)‖
        std::swap(ktz, ktz_new);
        k.apply_adjoint(u, ktu);
        const double eps_pri = sqrt_p * params.abs_tol + params.tol * std::max(du.kx_norm, du.z_norm);
        const double eps_dual = sqrt_n * params.abs_tol + params.tol * rho * double(norm(ktu));
        const double objective =
            params.compute_objective ? double(f.value(x)) + double(g.value(z)) : detail::nan_value;
        if (diverged(du.primal, s) || inner == Status::diverged) {
            std::swap(x, x_prev);
            monitor.diverge(it, "the iterate diverged");
            return finish();
        }
        const double residual = std::max(eps_pri > 0 ? du.primal / eps_pri : du.primal,
                                         eps_dual > 0 ? s / eps_dual : s);
        monitor.record_split(du.primal, s);
        monitor.record_penalty(rho);
        if (monitor.record(it, x, objective, residual)) return finish();
        if ((params.tol > 0 || params.abs_tol > 0) && du.primal <= eps_pri && s <= eps_dual) {
            monitor.finish(Status::converged, "primal and dual residuals below tolerance");
            return finish();
        }
        if (params.adaptive_rho && it % params.adapt_every == 0) {
            double factor = 1;
            if (du.primal > params.balance_ratio * s) factor = params.rho_factor;
            else if (s > params.balance_ratio * du.primal) factor = 1 / params.rho_factor;
            if (factor != 1) {
                rho *= factor;
                scale(T(1 / factor), u);     // the scaled dual u = y/ρ keeps y
                scale(T(1 / factor), ktu);
                update.set_rho(T(rho));
            }
        }
    }
    monitor.finish(Status::max_iterations, "iteration budget exhausted");
    return finish();
}

/// ADMM for min f(x) + g(x) (K = identity): x ← prox_{f/ρ}(z − u), z ← prox_{g/ρ}(x + u), u ← u + x − z.
template <class F, class G, Vector V, class Callback = callbacks::None>
    requires Proximable<F, V> && Proximable<G, V>
SolverResult<V> admm(F f, G g, const V& x0, AdmmParams params = {}, Callback&& callback = {}) {
    return admm(std::move(f), std::move(g), ops::identity_like(x0), x0, params, std::forward<Callback>(callback));
}

}  // namespace lucid
