#pragma once
/// \file richardson_lucy.hpp
/// Richardson–Lucy deconvolution (Poisson maximum likelihood), optionally with
/// total-variation regularization (RL-TV).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/monitor.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// Parameters of `richardson_lucy`.
struct RichardsonLucyParams {
    int max_iter = 30;              ///< iterations (RL regularizes by early stopping)
    double tol = 0;                 ///< stop when ‖x_k − x_{k−1}‖ ≤ tol·‖x_k‖ (0: run max_iter)
    double tv_lambda = 0;           ///< > 0: RL-TV weight λ (Dey et al. 2006); images only
    double tv_epsilon = 1e-4;       ///< |∇x| is smoothed as √(|∇x|² + ε²) in the TV term
    double epsilon = 1e-12;         ///< floor of A x in the ratio y/(A x)
    bool compute_objective = true;  ///< record the Kullback–Leibler data term
    bool record_history = true;
    double divergence_factor = 1e8; ///< diverged when a step exceeds this times max(1, ‖x₀‖)

    void validate() const {
        constexpr const char* where = "lucid::richardson_lucy";
        detail::validate_common(where, max_iter, tol, divergence_factor);
        require(std::isfinite(tv_lambda) && tv_lambda >= 0, where, "tv_lambda", "finite and >= 0", tv_lambda);
        require_positive(where, "tv_epsilon", tv_epsilon);
        require_positive(where, "epsilon", epsilon);
    }
};

namespace detail {

/// out = div(∇x/√(|∇x|² + ε²)) per plane (forward differences, Neumann; the
/// divergence is the negative adjoint of the gradient, as ops::Gradient).
template <class T>
void normalized_gradient_divergence(const T* x, T* out, std::size_t h, std::size_t w, T eps) {
    // px, py of row i are computed on the fly; out(i,j) = px(i,j) − px(i,j−1) + py(i,j) − py(i−1,j)
    // with px(i,−1) = 0, px(i,w−1) = 0, py(−1,j) = 0, py(h−1,j) = 0.
    const T e2 = eps * eps;
    auto px = [&](std::size_t i, std::size_t j) -> T {
        if (j + 1 >= w) return T(0);
        const T gx = x[i * w + j + 1] - x[i * w + j];
        const T gy = i + 1 < h ? x[(i + 1) * w + j] - x[i * w + j] : T(0);
        return gx / std::sqrt(gx * gx + gy * gy + e2);
    };
    auto py = [&](std::size_t i, std::size_t j) -> T {
        if (i + 1 >= h) return T(0);
        const T gx = j + 1 < w ? x[i * w + j + 1] - x[i * w + j] : T(0);
        const T gy = x[(i + 1) * w + j] - x[i * w + j];
        return gy / std::sqrt(gx * gx + gy * gy + e2);
    };
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j)
            out[i * w + j] = px(i, j) - (j > 0 ? px(i, j - 1) : T(0)) + py(i, j) - (i > 0 ? py(i - 1, j) : T(0));
}

template <class V>
inline constexpr bool is_image_v = false;
template <class T>
inline constexpr bool is_image_v<xt::xtensor<T, 2>> = true;
template <class T>
inline constexpr bool is_image_v<xt::xtensor<T, 3>> = true;

}  // namespace detail

/// Richardson–Lucy (Richardson 1972, "Bayesian-based iterative method of
/// image restoration", JOSA 62(1); Lucy 1974, Astron. J. 79(6)) — the EM
/// algorithm for y ~ Poisson(Ax) (Shepp & Vardi 1982):
/// \f[ x_{k+1} = \frac{x_k}{A^\top \mathbf 1} \odot A^\top\!\Big(\frac{y}{A x_k}\Big), \f]
/// which keeps x ≥ 0 and the total flux ⟨1, A x_{k+1}⟩ = ⟨1, y⟩ (so Σx = Σy
/// when the kernel sums to 1 and Aᵀ1 = 1: periodic, or reflect with a symmetric
/// kernel). With `tv_lambda` = λ > 0, RL-TV (Dey, Blanc-Féraud, Zimmer, Roux,
/// Kam, Olivo-Marin & Zerubia 2006, "Richardson–Lucy algorithm with total
/// variation regularization for 3D confocal microscope deconvolution",
/// Microsc. Res. Tech. 69(4), eq. (9)):
/// \f[ x_{k+1} = \frac{x_k}{A^\top\mathbf 1 - \lambda\,\mathrm{div}\big(\nabla x_k / |\nabla x_k|_\varepsilon\big)}
///               \odot A^\top\!\Big(\frac{y}{A x_k}\Big) \f]
/// (the denominator is floored at 1% of Aᵀ1 to stay positive; λ ≲ 0.01 for images in [0,1]).
/// Negative data values (noise) are treated as 0; x₀ must be ≥ 0.
/// History: objective KL(y‖Ax) = Σ Ax − y + y log(y/Ax), residual ‖x_k − x_{k−1}‖/‖x_k‖.
template <LinearOperator A, class Callback = callbacks::None>
SolverResult<domain_t<A>> richardson_lucy(const A& op, const range_t<A>& y, const domain_t<A>& x0,
                                          RichardsonLucyParams params = {}, Callback&& callback = {}) {
    params.validate();
    constexpr const char* where = "lucid::richardson_lucy";
    using V = domain_t<A>;
    using T = op_scalar_t<A>;
    require(shape_of(x0) == op.domain_shape(), where, "x0", "of the operator's domain shape", element_count(x0));
    require(shape_of(y) == op.range_shape(), where, "y", "of the operator's range shape", element_count(y));
    require(all_finite(y), where, "y", "finite everywhere", "a non-finite value");
    bool nonneg = true;
    detail::for_each_leaf([&](auto a) { for (auto v : a) nonneg = nonneg && v >= T(0) && std::isfinite(v); }, x0);
    require(nonneg, where, "x0", "finite and >= 0 everywhere", "a negative or non-finite value");
    if constexpr (!detail::is_image_v<V>)
        require(params.tv_lambda == 0, where, "tv_lambda", "0 for non-image vectors", params.tv_lambda);

    SolverResult<V> out;
    V x = clone(x0), at_ratio = zeros_like(x0), normalizer = zeros_like(x0);
    auto ax = make_range(op);
    std::optional<V> tv_term;
    if (params.tv_lambda > 0) tv_term.emplace(zeros_like(x0));
    fill(ax, T(1));
    op.apply_adjoint(ax, normalizer);                     // Aᵀ1 (ax is overwritten by A x₀ below)
    // Without TV the denominator is Aᵀ1 at every iteration: keep 1/Aᵀ1 instead
    // (0 where Aᵀ1 = 0), so the update multiplies rather than divides.
    const bool reciprocal_normalizer = !tv_term;
    if (reciprocal_normalizer)
        detail::for_each_leaf([](auto a) {
            for (auto& v : a) v = v > T(0) ? T(1) / v : T(0);
        }, normalizer);
    const T eps = T(params.epsilon);
    auto kl = [&]() {
        double s = 0;
        detail::for_each_leaf([&](auto a, auto b) {
            for (std::size_t i = 0; i < a.size(); ++i) {
                const double m = std::max(double(a[i]), double(eps)), d = std::max(double(b[i]), 0.0);
                s += m - d + (d > 0 ? d * std::log(d / m) : 0.0);
            }
        }, ax, y);
        return s;
    };
    detail::Monitor<V, Callback> monitor(out, callback, params.max_iter, params.record_history);
    const detail::DivergenceGuard diverged(params.divergence_factor, double(norm(x0)));
    auto finish = [&] { out.x = std::move(x); return std::move(out); };
    op.apply(x, ax);

    for (int k = 1; k <= params.max_iter; ++k) {
        detail::for_each_leaf([eps](auto a, auto b) {     // ratio y / (A x_k), in place
            for (std::size_t i = 0; i < a.size(); ++i) a[i] = std::max(b[i], T(0)) / std::max(a[i], eps);
        }, ax, y);
        op.apply_adjoint(ax, at_ratio);                    // Aᵀ(y / A x_k)
        const V* denominator = &normalizer;  // a reciprocal when reciprocal_normalizer (no TV term)
        if constexpr (detail::is_image_v<V>) {
            if (tv_term) {
                const auto hw = plane_shape(shape_of(x));
                const std::size_t plane = hw[0] * hw[1], planes = x.size() / plane;
                for (std::size_t c = 0; c < planes; ++c)
                    detail::normalized_gradient_divergence(x.data() + c * plane, tv_term->data() + c * plane, hw[0],
                                                           hw[1], T(params.tv_epsilon));
                const T lam = T(params.tv_lambda);
                T* d = tv_term->data();
                const T* n = normalizer.data();
                for (std::size_t i = 0; i < x.size(); ++i) d[i] = std::max(n[i] - lam * d[i], T(0.01) * n[i]);
                denominator = &*tv_term;
            }
        }
        // x_{k+1} = x_k ⊙ Aᵀ(y/Ax_k) / denominator, with the step norm in the same pass.
        // Blocks of 512: the update loop has no reduction, so it vectorizes; the
        // sums then run over the block while it is still in L1.
        double d2 = 0, n2 = 0;
        detail::for_each_leaf([&](auto xs, auto r, auto den) {
            T* __restrict px = xs.data();
            T* __restrict pr = r.data();
            const T* __restrict pd = den.data();
            const std::size_t n = xs.size();
            for (std::size_t b = 0; b < n; b += 512) {
                const std::size_t e = std::min(n, b + 512);
                if (reciprocal_normalizer) {
                    for (std::size_t i = b; i < e; ++i) {
                        const T old = px[i];
                        px[i] = old * pr[i] * pd[i];
                        pr[i] = old;                       // keep x_k (for a divergence restore)
                    }
                } else {
                    for (std::size_t i = b; i < e; ++i) {
                        const T old = px[i];
                        px[i] = pd[i] > T(0) ? old * pr[i] / pd[i] : T(0);
                        pr[i] = old;
                    }
                }
                double s0 = 0, s1 = 0, t0 = 0, t1 = 0;
                std::size_t i = b;
                for (; i + 2 <= e; i += 2) {
                    const double a0 = double(px[i]), a1 = double(px[i + 1]);
                    const double e0 = a0 - double(pr[i]), e1 = a1 - double(pr[i + 1]);
                    s0 += e0 * e0;
                    s1 += e1 * e1;
                    t0 += a0 * a0;
                    t1 += a1 * a1;
                }
                for (; i < e; ++i) {
                    const double a0 = double(px[i]), e0 = a0 - double(pr[i]);
                    s0 += e0 * e0;
                    t0 += a0 * a0;
                }
                d2 += s0 + s1;
                n2 += t0 + t1;
            }
        }, x, at_ratio, *denominator);
        const double step = std::sqrt(d2);
        if (diverged(step, n2)) {
            copy(at_ratio, x);
            monitor.diverge(k, "the iterate diverged");
            return finish();
        }
        op.apply(x, ax);
        const double objective = params.compute_objective ? kl() : detail::nan_value;
        const double rel = n2 > 0 ? step / std::sqrt(n2) : step;
        if (monitor.record(k, x, objective, rel)) return finish();
        if (params.tol > 0 && rel <= params.tol) {
            monitor.finish(Status::converged, "relative change below tol");
            return finish();
        }
    }
    monitor.finish(Status::max_iterations, "iteration budget exhausted");
    return finish();
}

/// Richardson–Lucy from the flat start x₀ = mean(y) (> 0) on A's domain.
template <LinearOperator A, class Callback = callbacks::None>
SolverResult<domain_t<A>> richardson_lucy(const A& op, const range_t<A>& y, RichardsonLucyParams params = {},
                                          Callback&& callback = {}) {
    using T = op_scalar_t<A>;
    double s = 0;
    detail::for_each_leaf([&](auto a) { for (auto v : a) s += std::max(double(v), 0.0); }, y);
    const double mean = s / double(std::max<std::size_t>(element_count(y), 1));
    auto x0 = make_domain(op);
    fill(x0, T(mean > 0 ? mean : 1.0));
    return richardson_lucy(op, y, x0, params, std::forward<Callback>(callback));
}

}  // namespace lucid
