#pragma once
/// \file admm_tv.hpp
/// TV-regularized deconvolution by ADMM with boundary-aware splittings:
/// fused DCT or FFT loops when the blur is transform-diagonal, Almeida &
/// Figueiredo's masked splitting for the `valid` boundary, and the generic
/// ADMM (CG x-updates) otherwise.

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <limits>
#include <memory>
#include <numbers>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "lucid/core/boundary.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/algebra.hpp"
#include "lucid/functionals/l1.hpp"
#include "lucid/functionals/l21_norm.hpp"
#include "lucid/functionals/least_squares.hpp"
#include "lucid/functionals/total_variation.hpp"
#include "lucid/functionals/weighted_squared_error.hpp"
#include "lucid/functionals/zero.hpp"
#include "lucid/ops/gradient.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/ops/stack.hpp"
#include "lucid/solvers/admm.hpp"
#include "lucid/solvers/tv_paths.hpp"
#include "lucid/solvers/tv_spectral_solve.hpp"
#include "lucid/solvers/tv_sweep_kernels.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/monitor.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// Parameters of `admm_tv`.
struct AdmmTvParams {
    int max_iter = 200;            ///< iteration budget
    double rho = 0;                ///< initial penalty ρ; 0 = 10·λ
    double tol = 1e-4;             ///< ε_rel of Boyd et al. §3.3.1 (0 with abs_tol 0: run max_iter)
    double abs_tol = 0;            ///< ε_abs (scaled by √size)
    bool adaptive_rho = true;      ///< residual balancing (Boyd et al. §3.4.1)
    double balance_ratio = 10;     ///< μ
    double rho_factor = 2;         ///< τ
    int adapt_every = 1;           ///< consider rebalancing every this many iterations
    TvNorm norm = TvNorm::isotropic;  ///< isotropic or anisotropic (vectorial is not supported here)
    int cg_max_iter = 100;         ///< inner CG of the generic path (zero / replicate boundaries)
    double cg_tol = 1e-8;
    bool compute_objective = true; ///< record ½‖Ax − y‖² + λTV(x) (free in the fused path)
    bool record_history = true;
    double divergence_factor = 1e8;

    void validate() const {
        constexpr const char* where = "lucid::admm_tv";
        detail::validate_common(where, max_iter, tol, divergence_factor);
        require(std::isfinite(rho) && rho >= 0, where, "rho", "finite and >= 0 (0 = 10*lambda)", rho);
        require(std::isfinite(abs_tol) && abs_tol >= 0, where, "abs_tol", "finite and >= 0", abs_tol);
        require(std::isfinite(balance_ratio) && balance_ratio > 1, where, "balance_ratio", "finite and > 1", balance_ratio);
        require(std::isfinite(rho_factor) && rho_factor > 1, where, "rho_factor", "finite and > 1", rho_factor);
        require(adapt_every >= 1, where, "adapt_every", ">= 1", adapt_every);
        require(norm == TvNorm::isotropic || norm == TvNorm::anisotropic, where, "norm", "isotropic or anisotropic",
                to_string(norm));
        require(cg_max_iter >= 1, where, "cg_max_iter", ">= 1", cg_max_iter);
        require(std::isfinite(cg_tol) && cg_tol > 0, where, "cg_tol", "finite and > 0", cg_tol);
    }

    /// The same settings for the generic `admm`.
    AdmmParams generic(double rho0) const {
        AdmmParams p;
        p.max_iter = max_iter;
        p.rho = rho0;
        p.tol = tol;
        p.abs_tol = abs_tol;
        p.adaptive_rho = adaptive_rho;
        p.balance_ratio = balance_ratio;
        p.rho_factor = rho_factor;
        p.adapt_every = adapt_every;
        p.cg_max_iter = cg_max_iter;
        p.cg_tol = cg_tol;
        p.compute_objective = compute_objective;
        p.record_history = record_history;
        p.divergence_factor = divergence_factor;
        return p;
    }
};

namespace detail {

/// Sums the fused ADMM-TV sweep accumulates (double).
struct TvSweepSums {
    double primal = 0;   ///< Σ (∇x − z)²
    double grad = 0;     ///< Σ |∇x|²
    double z = 0;        ///< Σ |z|²
    double dual = 0;     ///< Σ (∇ᵀz_new − ∇ᵀz_old)²
    double ktu = 0;      ///< Σ (∇ᵀu)²
    double tv = 0;       ///< TV(x) (when requested)
};

/// One fused pass of ADMM-TV's z- and u-updates over the image (forward
/// differences, Neumann or periodic), for K = ∇, g = λ‖·‖ (isotropic group or
/// anisotropic ℓ1), scaled dual u = (u0, u1):
///   v = ∇x + s·u,  z = shrink(v, t),  u ← v − z,  w = z − u,
///   rhs = ∇ᵀw (the next x-update's right-hand side),  q ← ∇ᵀz,
/// with the residual sums. s rescales u after a ρ change (1 otherwise); t = λ/ρ.
/// Reads x, u0, u1, q and writes u0, u1, rhs, q; z and w live in row buffers
/// (`rows`: 7·W scratch), so they never exist as images.
template <bool Periodic, bool Iso, class T>
TvSweepSums admm_tv_sweep(const T* __restrict x, T* __restrict u0, T* __restrict u1, T* __restrict rhs,
                          T* __restrict q, std::size_t h, std::size_t w, T t, T s, bool want_tv, T* rows) {
    T* wx = rows;
    T* wy = rows + w;
    T* zx = rows + 2 * w;
    T* zy = rows + 3 * w;
    T* wy_prev = rows + 4 * w;
    T* zy_prev = rows + 5 * w;
    T* q0 = rows + 6 * w;   // periodic: row 0 of ∇ᵀz before the wrap term
    std::fill(wy_prev, wy_prev + w, T(0));
    std::fill(zy_prev, zy_prev + w, T(0));
    TvSweepSums sum;
    const bool avx2 = detail::use_avx2();
    for (std::size_t i = 0; i < h; ++i) {
        const std::size_t o = i * w;
        const T* xr = x + o;
        // the row below; the Neumann last row has ∂y = 0, i.e. "below" is itself
        const T* xn = i + 1 < h ? xr + w : (Periodic ? x : xr);
        tvsweep::RowSums rs;
        const std::size_t j0 = avx2 ? tvsweep::shrink_row_avx2<Iso>(xr, xn, u0 + o, u1 + o, zx, zy, wx, wy, w - 1, t,
                                                                    s, want_tv, rs)
                                    : 0;
        for (std::size_t j = j0; j < w; ++j) {
            const bool last = j + 1 == w;
            const T gx = last ? (Periodic ? xr[0] - xr[j] : T(0)) : xr[j + 1] - xr[j];
            const T gy = xn[j] - xr[j];
            const T vx = gx + s * u0[o + j], vy = gy + s * u1[o + j];
            T ax, ay;
            tvsweep::shrink_pair<Iso>(vx, vy, t, ax, ay);
            const T ux = vx - ax, uy = vy - ay;
            u0[o + j] = ux;
            u1[o + j] = uy;
            zx[j] = ax;
            zy[j] = ay;
            wx[j] = ax - ux;
            wy[j] = ay - uy;
            const T ex = gx - ax, ey = gy - ay;
            rs.primal += double(ex * ex + ey * ey);
            rs.grad += double(gx * gx + gy * gy);
            rs.z += double(ax * ax + ay * ay);
            if (want_tv) rs.tv += tvsweep::tv_term<Iso>(gx, gy);
        }
        // ∇ᵀp at (i, j) = p0(i, j−1) − p0(i, j) + p1(i−1, j) − p1(i, j) (wrapping when periodic).
        auto divergence = [&](std::size_t j) {
            const T wl = j > 0 ? wx[j - 1] : (Periodic ? wx[w - 1] : T(0));
            const T zl = j > 0 ? zx[j - 1] : (Periodic ? zx[w - 1] : T(0));
            const T r = (wl - wx[j]) + (wy_prev[j] - wy[j]);
            const T qn = (zl - zx[j]) + (zy_prev[j] - zy[j]);
            rhs[o + j] = r;
            if (Periodic && i == 0) {
                q0[j] = qn;  // finished after the last row
                return;
            }
            const T dq = qn - q[o + j];
            rs.dual += double(dq * dq);
            rs.ktu += double((qn - r) * (qn - r));
            q[o + j] = qn;
        };
        divergence(0);
        const bool vector_row = avx2 && !(Periodic && i == 0);
        const std::size_t j1 = vector_row ? tvsweep::divergence_row_avx2(wx, wy, zx, zy, wy_prev, zy_prev, rhs + o,
                                                                         q + o, w, rs)
                                          : 1;
        for (std::size_t j = j1; j < w; ++j) divergence(j);
        sum.primal += rs.primal;
        sum.grad += rs.grad;
        sum.z += rs.z;
        sum.tv += rs.tv;
        sum.dual += rs.dual;
        sum.ktu += rs.ktu;
        std::swap(wy_prev, wy);
        std::swap(zy_prev, zy);
    }
    if constexpr (Periodic) {  // row 0 receives p1(h−1, j)
        for (std::size_t j = 0; j < w; ++j) {
            rhs[j] += wy_prev[j];
            const T qn = q0[j] + zy_prev[j];
            const T dq = qn - q[j];
            sum.dual += double(dq * dq);
            sum.ktu += double((qn - rhs[j]) * (qn - rhs[j]));
            q[j] = qn;
        }
    }
    return sum;
}

/// The fused ADMM-TV loop (see `admm_tv`) for an H×W image whose AᵀA is
/// diagonalized by the DCT-II (Fourier = false, Neumann differences) or the
/// DFT (Fourier = true, periodic differences). Image-sized buffers: x and its
/// predecessor, u (2 planes), rhs, q = ∇ᵀz, and the transform's b̂, multiplier
/// and coefficients: 9 planes (the Fourier ones are H×(W/2+1) complex ≈ one plane each).
/// `gram_a` and `aty` are consumed: released once the x-solver holds their
/// transforms, so they do not add to the peak memory of the loop.
template <bool Fourier, class T, class Callback>
SolverResult<Image<T>> admm_tv_fused(Spectrum<T>&& gram_a, Image<T>&& aty, double y_norm2, T lambda,
                                     const Image<T>& x0, const AdmmTvParams& params, Callback& callback) {
    const std::size_t h = x0.shape()[0], w = x0.shape()[1], n = h * w;
    SolverResult<Image<T>> out;
    TvSpectralSolve<T, Fourier> xsolve(std::move(gram_a), std::move(aty), y_norm2);  // consumes both
    // x and the previous iterate swap each iteration (the x-update reads rhs
    // only), so a diverged run can return the last finite x at no cost per iteration
    Image<T> x = clone(x0), x_prev = clone(x0);
    // scratch planes as AlignedBuffers: zeroed mappings on huge pages, no per-page faults (aligned_buffer.hpp)
    fft::AlignedBuffer<T> u0(n), u1(n), rhs(n, fft::uninitialized), q(n);
    std::vector<T> rows(7 * w);
    const bool iso = params.norm == TvNorm::isotropic;
    auto sweep = [&](T t, T s, bool want_tv) {
        if (iso) return admm_tv_sweep<Fourier, true>(x.data(), u0.data(), u1.data(), rhs.data(), q.data(), h, w, t, s, want_tv, rows.data());
        return admm_tv_sweep<Fourier, false>(x.data(), u0.data(), u1.data(), rhs.data(), q.data(), h, w, t, s, want_tv, rows.data());
    };
    double rho = params.rho > 0 ? params.rho : 10 * double(lambda);
    const double rho_lo = rho * 1e-8, rho_hi = rho * 1e8;
    xsolve.set_rho(T(rho));
    sweep(T(0), T(0), false);   // z₀ = ∇x₀, u₀ = 0: rhs = q = ∇ᵀ∇x₀
    T u_scale = 1;
    const double sqrt_p = std::sqrt(2.0 * double(n)), sqrt_n = std::sqrt(double(n));
    Monitor<Image<T>, Callback> monitor(out, callback, params.max_iter, params.record_history);
    // The guard sees ‖∇x‖ (the sweep's sum; ‖∇x‖ ≤ √8‖x‖), not the step, which
    // would need one more pass per iteration over x and its predecessor.
    const DivergenceGuard diverged(params.divergence_factor, std::sqrt(8.0) * double(norm(x0)));
    auto finish = [&] { out.x = std::move(x); return std::move(out); };

    for (int it = 1; it <= params.max_iter; ++it) {
        std::swap(x, x_prev);
        const double data = xsolve.solve(rhs.data(), x.data(), params.compute_objective);  // x-update
        const auto sums = sweep(T(double(lambda) / rho), u_scale, params.compute_objective);  // z-, u-updates
        u_scale = 1;
        const double r = std::sqrt(sums.primal), s = rho * std::sqrt(sums.dual);
        const double eps_pri = sqrt_p * params.abs_tol + params.tol * std::max(std::sqrt(sums.grad), std::sqrt(sums.z));
        const double eps_dual = sqrt_n * params.abs_tol + params.tol * rho * std::sqrt(sums.ktu);
        const double objective = params.compute_objective ? data + double(lambda) * sums.tv : nan_value;
        if (diverged(std::sqrt(sums.grad), r, s)) {
            std::swap(x, x_prev);
            monitor.diverge(it, "the iterate diverged");
            return finish();
        }
        const double residual = std::max(eps_pri > 0 ? r / eps_pri : r, eps_dual > 0 ? s / eps_dual : s);
        monitor.record_split(r, s);
        monitor.record_penalty(rho);
        if (monitor.record(it, x, objective, residual)) return finish();
        if ((params.tol > 0 || params.abs_tol > 0) && r <= eps_pri && s <= eps_dual) {
            monitor.finish(Status::converged, "primal and dual residuals below tolerance");
            return finish();
        }
        if (params.adaptive_rho && it % params.adapt_every == 0) {
            double factor = 1;
            if (r > params.balance_ratio * s) factor = params.rho_factor;
            else if (s > params.balance_ratio * r) factor = 1 / params.rho_factor;
            if (factor != 1 && rho * factor >= rho_lo && rho * factor <= rho_hi) {
                rho *= factor;
                u_scale = T(1 / factor);
                // rhs = ∇ᵀz − ∇ᵀu with u ← u/factor: rhs ← q − (q − rhs)/factor.
                T* pr = rhs.data();
                const T* pq = q.data();
                const T inv = T(1 / factor);
                for (std::size_t i = 0; i < n; ++i) pr[i] = pq[i] - (pq[i] - pr[i]) * inv;
                xsolve.set_rho(T(rho));
            }
        }
    }
    monitor.finish(Status::max_iterations, "iteration budget exhausted");
    return finish();
}

template <class A>
concept ConvolutionLike = requires(const A& a) {
    a.kernel();
    { a.boundary() } -> std::convertible_to<Boundary>;
};

}  // namespace detail

/// TV-regularized deconvolution
/// \f[ \min_x \tfrac12\|Ax - y\|^2 + \lambda\,\mathrm{TV}(x) \f]
/// by ADMM with the splitting z = ∇x (Boyd et al. 2011, §3.1.1 scaled form,
/// residual balancing §3.4.1, stopping §3.3.1; the TV split of Wang, Yang, Yin
/// & Zhang 2008 and Afonso, Bioucas-Dias & Figueiredo 2010, "Fast image
/// recovery using variable splitting and constrained optimization", IEEE TIP 19(9)):
/// \f[ x_{k+1} = (A^\top A + \rho\nabla^\top\nabla)^{-1}\big(A^\top y + \rho\nabla^\top(z_k - u_k)\big), \f]
/// \f[ z_{k+1} = \mathrm{shrink}_{\lambda/\rho}(\nabla x_{k+1} + u_k),\qquad u_{k+1} = u_k + \nabla x_{k+1} - z_{k+1}. \f]
/// The path depends on the operator (boundary-aware splittings):
/// - **A diagonalized by the DCT-II** (`reflect` boundary with a symmetric
///   kernel; also A = identity): Neumann differences (lucid's TV), every
///   x-update one DCT pair (Ng, Chan & Tang 1999), fused loops (9 image-sized
///   buffers, no allocation in the loop).
/// - **A diagonalized by the DFT** (`periodic`): the same with periodic
///   differences, every x-update one FFT pair (TV then includes the wrap-around jumps).
/// - **`valid` boundary** (ops::Convolution; the data term sees only the
///   pixels whose blur support lies inside the image): Almeida & Figueiredo
///   2013, "Deconvolving images with unknown boundaries using the alternating
///   direction method of multipliers", IEEE TIP 22(8): A = M·H with H the
///   periodic convolution on the full image and M the selection of the valid
///   pixels; split v = Hx, z = ∇x (periodic):
///   \f$ \min_x 0 + \tfrac12\|Mv - y\|^2 + \lambda\|z\| \f$ s.t. (v, z) = (H, ∇)x,
///   so the x-update (HᵀH + ∇ᵀ∇)⁻¹ is one FFT pair and the v-update is the
///   pixelwise (ρv + Mᵀy)/(ρ + M) (generic `admm` with K = stack(H, ∇) and
///   g = separable_sum(WeightedSquaredError, L21Norm)).
/// - anything else (zero / replicate boundary, non-symmetric reflect kernels):
///   generic `admm` with Neumann ∇ and CG x-updates.
/// - **C×H×W stacks under `ops::Convolution<T, 3>`** (one kernel for every
///   channel): the problem separates over channels (TV's norms are per
///   channel), which are solved one after another by the paths above, so a
///   stack gets the same ∇ and iterates as its planes would alone. Its history
///   is iteration k of every channel (objectives summed, residuals the worst
///   channel's); its callback sees the whole stack and the current channel's
///   iteration. Other operators on stacks take the generic path.
///
/// History: objective ½‖Ax − y‖² + λTV(x) (DCT/DFT paths; the generic paths
/// report f(x) + g(z)), residual max(r/ε_pri, s/ε_dual), primal/dual residuals, ρ.
/// ```cpp
/// lucid::ops::Convolution<double> A(lucid::kernels::gaussian<double>(2, 2, 0), y.shape(), lucid::Boundary::reflect);
/// auto r = lucid::admm_tv(A, y, 0.002, y, {.max_iter = 100});
/// ```
template <LinearOperator A, class Callback = callbacks::None>
    requires std::same_as<domain_t<A>, range_t<A>>
SolverResult<domain_t<A>> admm_tv(const A& op, const range_t<A>& y, op_scalar_t<A> lambda, const domain_t<A>& x0,
                                  AdmmTvParams params = {}, Callback&& callback = {}) {
    constexpr const char* where = "lucid::admm_tv";
    params.validate();
    detail::require_tv_problem(where, op, y, lambda, x0);
    using T = op_scalar_t<A>;
    using V = domain_t<A>;
    // C×H×W convolution: the channels separate; each takes the image paths below.
    if constexpr (std::is_same_v<std::remove_cvref_t<A>, ops::Convolution<T, 3>>) {
        return detail::solve_per_channel(op, y, x0, callback, [&](const auto& op_c, const auto& y_c, const auto& x0_c,
                                                                  auto& callback_c) {
            return admm_tv(op_c, y_c, lambda, x0_c, params, callback_c);
        });
    }
    const double rho0 = params.rho > 0 ? params.rho : 10 * double(lambda);
    constexpr bool image = std::is_same_v<V, Image<T>>;

    // valid boundary: Almeida & Figueiredo's masked splitting.
    if constexpr (image && detail::ConvolutionLike<A>) {
        if (op.boundary() == Boundary::valid) {
            const auto dom = op.domain_shape();
            const std::size_t kh = op.kernel().shape()[0], kw = op.kernel().shape()[1];
            const std::size_t top = kh - 1 - kh / 2, left = kw - 1 - kw / 2;  // valid output (i, j) = periodic (i + top, j + left)
            Image<T> mask(dom, T(0)), y_ext(dom, T(0));
            for (std::size_t i = 0; i < y.shape()[0]; ++i)
                for (std::size_t j = 0; j < y.shape()[1]; ++j) {
                    mask(i + top, j + left) = T(1);
                    y_ext(i + top, j + left) = y(i, j);
                }
            A periodic(op.kernel(), dom, Boundary::periodic);
            auto K = stack(std::move(periodic), ops::Gradient<T>(dom, Boundary::periodic));
            auto data = WeightedSquaredError<Image<T>>(std::move(mask), std::move(y_ext));
            if (params.norm == TvNorm::anisotropic)
                return admm(Zero<T>(), separable_sum(std::move(data), L1<T>(lambda)), std::move(K), x0,
                            params.generic(rho0), callback);
            return admm(Zero<T>(), separable_sum(std::move(data), L21Norm<T>(lambda)), std::move(K), x0,
                        params.generic(rho0), callback);
        }
    }
    // Transform-diagonal AᵀA: fused loops.
    auto fused = detail::solve_transform_diagonal(op, y, [&](auto fourier, Spectrum<T>&& g, Image<T>&& aty, double y2) {
        return detail::admm_tv_fused<decltype(fourier)::value>(std::move(g), std::move(aty), y2, lambda, x0, params,
                                                               callback);
    });
    if (fused) return std::move(*fused);
    // Generic: Neumann gradient, CG x-updates.
    return detail::solve_with_neumann_tv(op, y, lambda, params.norm, [&](auto f, auto g, auto D) {
        return admm(std::move(f), std::move(g), std::move(D), x0, params.generic(rho0), callback);
    });
}

}  // namespace lucid
