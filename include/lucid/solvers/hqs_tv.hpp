#pragma once
/// \file hqs_tv.hpp
/// TV-regularized deconvolution by half-quadratic splitting with continuation
/// (FTVd): one fused sweep and one DCT or FFT pair per iteration when the blur
/// is transform-diagonal, the generic `hqs` (CG x-updates) otherwise.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/total_variation.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/hqs.hpp"
#include "lucid/solvers/monitor.hpp"
#include "lucid/solvers/status.hpp"
#include "lucid/solvers/tv_paths.hpp"
#include "lucid/solvers/tv_spectral_solve.hpp"
#include "lucid/solvers/tv_sweep_kernels.hpp"

namespace lucid {

/// Parameters of `hqs_tv`: those of `hqs` (same meaning and defaults) and the TV norm.
struct HqsTvParams {
    int max_iter = 100;             ///< iteration budget
    double mu = 1e-2;               ///< initial penalty μ₀ > 0
    double mu_growth = 1.5;         ///< μ_{k+1} = min(growth·μ_k, mu_max) (≥ 1; 1 = fixed μ)
    double mu_max = 1e4;            ///< final penalty
    double tol = 1e-5;              ///< stop when ‖x_k − x_{k−1}‖ ≤ tol·‖x_k‖ once μ = mu_max, or at once with mu_growth = 1 (0: run max_iter)
    TvNorm norm = TvNorm::isotropic;  ///< isotropic or anisotropic (vectorial is not supported here)
    int cg_max_iter = 100;          ///< inner CG of the generic path (zero / replicate / valid boundaries)
    double cg_tol = 1e-8;
    bool compute_objective = true;  ///< record ½‖Ax − y‖² + λTV(x) (free in the fused path)
    bool record_history = true;
    double divergence_factor = 1e8;

    /// The same settings for the generic `hqs`.
    HqsParams generic() const {
        return {.max_iter = max_iter, .mu = mu, .mu_growth = mu_growth, .mu_max = mu_max, .tol = tol,
                .cg_max_iter = cg_max_iter, .cg_tol = cg_tol, .compute_objective = compute_objective,
                .record_history = record_history, .divergence_factor = divergence_factor};
    }

    void validate() const {
        constexpr const char* where = "lucid::hqs_tv";
        generic().validate(where);
        require(norm == TvNorm::isotropic || norm == TvNorm::anisotropic, where, "norm", "isotropic or anisotropic",
                to_string(norm));
    }
};

namespace detail {

/// Sums the fused HQS-TV sweep accumulates (double).
struct HqsTvSweepSums {
    double primal = 0;  ///< Σ |∇x − z|²
    double tv = 0;      ///< TV(x) (when requested)
    double step = 0;    ///< Σ (x − x_old)²
    double x = 0;       ///< Σ x²
};

/// One fused pass of HQS-TV's z-update over the image (forward differences,
/// Neumann or periodic), for K = ∇ and g = λ‖·‖ (isotropic group or
/// anisotropic ℓ1), t = λ/μ:
///   z = shrink(∇x, t),  rhs = ∇ᵀz (the next x-update's right-hand side),
/// with Σ|∇x − z|², TV(x), and ‖x − x_old‖², ‖x‖² for the stopping rule.
/// Reads x and x_old, writes rhs; z lives in row buffers (`rows`: 3·W scratch),
/// so it never exists as an image.
template <bool Periodic, bool Iso, class T>
HqsTvSweepSums hqs_tv_sweep(const T* __restrict x, const T* __restrict x_old, T* __restrict rhs, std::size_t h,
                            std::size_t w, T t, bool want_tv, T* rows) {
    T* zx = rows;
    T* zy = rows + w;
    T* zy_prev = rows + 2 * w;
    std::fill(zy_prev, zy_prev + w, T(0));
    HqsTvSweepSums sum;
    const bool avx2 = detail::use_avx2();
    for (std::size_t i = 0; i < h; ++i) {
        const std::size_t o = i * w;
        const T* xr = x + o;
        // the row below; the Neumann last row has ∂y = 0, i.e. "below" is itself
        const T* xn = i + 1 < h ? xr + w : (Periodic ? x : xr);
        tvsweep::PenaltyRowSums rs;
        const std::size_t j0 =
            avx2 ? tvsweep::penalty_shrink_row_avx2<Iso>(xr, xn, x_old + o, zx, zy, w - 1, t, want_tv, rs) : 0;
        for (std::size_t j = j0; j < w; ++j) {
            const bool last = j + 1 == w;
            const T gx = last ? (Periodic ? xr[0] - xr[j] : T(0)) : xr[j + 1] - xr[j];
            const T gy = xn[j] - xr[j];
            T ax, ay;
            tvsweep::shrink_pair<Iso>(gx, gy, t, ax, ay);
            if (want_tv) rs.tv += tvsweep::tv_term<Iso>(gx, gy);
            zx[j] = ax;
            zy[j] = ay;
            const T ex = gx - ax, ey = gy - ay, d = xr[j] - x_old[o + j];
            rs.primal += double(ex * ex + ey * ey);
            rs.step += double(d * d);
            rs.x += double(xr[j] * xr[j]);
        }
        // ∇ᵀz at (i, j) = z0(i, j−1) − z0(i, j) + z1(i−1, j) − z1(i, j) (wrapping when periodic;
        // row 0's wrap term z1(h−1, j) is added after the last row).
        T* r = rhs + o;
        r[0] = ((Periodic ? zx[w - 1] : T(0)) - zx[0]) + (zy_prev[0] - zy[0]);
        for (std::size_t j = 1; j < w; ++j) r[j] = (zx[j - 1] - zx[j]) + (zy_prev[j] - zy[j]);
        sum.primal += rs.primal;
        sum.tv += rs.tv;
        sum.step += rs.step;
        sum.x += rs.x;
        std::swap(zy_prev, zy);
    }
    if constexpr (Periodic)
        for (std::size_t j = 0; j < w; ++j) rhs[j] += zy_prev[j];
    return sum;
}

/// The fused HQS-TV loop (see `hqs_tv`) for an H×W image whose AᵀA is
/// diagonalized by the DCT-II (Fourier = false, Neumann differences) or the
/// DFT (Fourier = true, periodic differences). Image-sized buffers: x, x_old,
/// rhs = ∇ᵀz, and the transform's b̂, multiplier and coefficients: 6 planes.
/// `gram_a` and `aty` are consumed (released once the x-solver holds their
/// transforms).
template <bool Fourier, class T, class Callback>
SolverResult<Image<T>> hqs_tv_fused(Spectrum<T>&& gram_a, Image<T>&& aty, double y_norm2, T lambda,
                                    const Image<T>& x0, const HqsTvParams& params, Callback& callback) {
    const std::size_t h = x0.shape()[0], w = x0.shape()[1];
    SolverResult<Image<T>> out;
    TvSpectralSolve<T, Fourier> xsolve(std::move(gram_a), std::move(aty), y_norm2);  // consumes both
    Image<T> x = clone(x0), x_prev = zeros_like(x0);
    fft::AlignedBuffer<T> rhs(h * w, fft::uninitialized);  // huge-page scratch (aligned_buffer.hpp)
    std::vector<T> rows(3 * w);
    const bool iso = params.norm == TvNorm::isotropic;
    auto sweep = [&](const Image<T>& old, T t, bool want_tv) {
        if (iso) return hqs_tv_sweep<Fourier, true>(x.data(), old.data(), rhs.data(), h, w, t, want_tv, rows.data());
        return hqs_tv_sweep<Fourier, false>(x.data(), old.data(), rhs.data(), h, w, t, want_tv, rows.data());
    };
    double mu = params.mu;
    sweep(x, T(double(lambda) / mu), false);  // z₀ = prox_{g/μ₀}(∇x₀): rhs = ∇ᵀz₀
    Monitor<Image<T>, Callback> monitor(out, callback, params.max_iter, params.record_history);
    const DivergenceGuard diverged(params.divergence_factor, double(norm(x0)));
    auto finish = [&] { out.x = std::move(x); return std::move(out); };

    for (int it = 1; it <= params.max_iter; ++it) {
        xsolve.set_rho(T(mu));
        std::swap(x, x_prev);
        const double data = xsolve.solve(rhs.data(), x.data(), params.compute_objective);  // x = argmin ½‖Ax−y‖² + μ/2‖∇x − z‖²
        const auto sums = sweep(x_prev, T(double(lambda) / mu), params.compute_objective);  // z = shrink(∇x, λ/μ)
        const Change ch{std::sqrt(sums.step), std::sqrt(sums.x)};
        const double primal = std::sqrt(sums.primal);
        if (diverged(ch.diff, primal)) {
            std::swap(x, x_prev);
            monitor.diverge(it, "the iterate diverged");
            return finish();
        }
        const double objective = params.compute_objective ? data + double(lambda) * sums.tv : nan_value;
        monitor.record_split(primal, nan_value);
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

}  // namespace detail

/// TV-regularized deconvolution
/// \f[ \min_x \tfrac12\|Ax - y\|^2 + \lambda\,\mathrm{TV}(x) \f]
/// by half-quadratic splitting with continuation (Wang, Yang, Yin & Zhang
/// 2008, "A new alternating minimization algorithm for total variation image
/// reconstruction", SIAM J. Imaging Sci. 1(3) — FTVd, eqs. (2.3)–(2.4)):
/// \f[ x_{k+1} = (A^\top A + \mu_k\nabla^\top\nabla)^{-1}\big(A^\top y + \mu_k\nabla^\top z_k\big),\qquad
///     z_{k+1} = \mathrm{shrink}_{\lambda/\mu_k}(\nabla x_{k+1}),\qquad \mu_{k+1} = \min(\gamma\mu_k, \mu_{max}). \f]
/// The same iterates as `hqs(LeastSquares(A, y), L21Norm(λ), ∇, x0, params.generic())`
/// (`L1(λ)` for the anisotropic norm), with ∇ as below:
/// - **A diagonalized by the DCT-II** (`reflect` boundary with a symmetric
///   kernel; also A = identity): Neumann differences (lucid's TV), every
///   x-update one DCT pair, z never stored: one fused sweep computes z and
///   ∇ᵀz (6 image-sized buffers, no allocation in the loop).
/// - **A diagonalized by the DFT** (`periodic`): the same with periodic
///   differences and one FFT pair (TV then includes the wrap-around jumps).
/// - anything else (zero / replicate / valid boundaries, non-symmetric
///   reflect kernels): the generic `hqs` with Neumann ∇ and warm-started CG
///   x-updates.
/// - **C×H×W stacks under `ops::Convolution<T, 3>`**: the channels separate
///   and are solved one after another by the paths above (as in `admm_tv`:
///   merged history, the callback sees the whole stack). Other operators on
///   stacks take the generic path.
///
/// History: objective ½‖Ax − y‖² + λTV(x), residual ‖x_k − x_{k−1}‖/‖x_k‖,
/// primal residual ‖∇x − z‖, penalty μ_k.
/// ```cpp
/// lucid::ops::Convolution<double> A(lucid::kernels::gaussian<double>(2.0), y.shape(), lucid::Boundary::reflect);
/// auto r = lucid::hqs_tv(A, y, 0.002, y, {.max_iter = 100});
/// ```
template <LinearOperator A, class Callback = callbacks::None>
    requires std::same_as<domain_t<A>, range_t<A>>
SolverResult<domain_t<A>> hqs_tv(const A& op, const range_t<A>& y, op_scalar_t<A> lambda, const domain_t<A>& x0,
                                 HqsTvParams params = {}, Callback&& callback = {}) {
    constexpr const char* where = "lucid::hqs_tv";
    params.validate();
    detail::require_tv_problem(where, op, y, lambda, x0);
    using T = op_scalar_t<A>;
    // C×H×W convolution: the channels separate; each takes the image paths below.
    if constexpr (std::is_same_v<std::remove_cvref_t<A>, ops::Convolution<T, 3>>) {
        return detail::solve_per_channel(op, y, x0, callback, [&](const auto& op_c, const auto& y_c, const auto& x0_c,
                                                                  auto& callback_c) {
            return hqs_tv(op_c, y_c, lambda, x0_c, params, callback_c);
        });
    }
    // Transform-diagonal AᵀA: fused loops.
    auto fused = detail::solve_transform_diagonal(op, y, [&](auto fourier, Spectrum<T>&& g, Image<T>&& aty, double y2) {
        return detail::hqs_tv_fused<decltype(fourier)::value>(std::move(g), std::move(aty), y2, lambda, x0, params,
                                                              callback);
    });
    if (fused) return std::move(*fused);
    // Generic: Neumann gradient, CG x-updates.
    return detail::solve_with_neumann_tv(op, y, lambda, params.norm, [&](auto f, auto g, auto D) {
        return hqs(std::move(f), std::move(g), std::move(D), x0, params.generic(), callback);
    });
}

}  // namespace lucid
