#pragma once
/// \file l21_norm.hpp
/// The mixed ℓ2,1 norm of a field of small vectors (e.g. an image gradient),
/// with group soft thresholding as its prox.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/functionals/concepts.hpp"

namespace lucid {

namespace detail {
/// The group soft-threshold factor max(1 − t/n, 0) for a group of norm n: 0 when
/// n ≤ t (also for n = 0, and for a NaN n).
template <class T>
inline T group_shrink_factor(T n, T t) {
    return n > t ? T(1) - t / n : T(0);
}
}  // namespace detail

/// \f$ f(p) = \lambda \sum_i \big(\sum_{g} p_{g,i}^2\big)^{1/2} \f$ for p of shape
/// {G, …}: the leading axis holds the G components of a vector at each
/// position i (the range of `ops::Gradient`, {2, H, W} or {2, C, H, W}, so that
/// \f$ f(\nabla x) = \lambda\,\mathrm{TV}_{iso}(x) \f$ with per-channel norms).
///
/// Prox (group soft thresholding; e.g. Combettes & Wajs 2005, "Signal recovery
/// by proximal forward-backward splitting", Example 2.16 for a single group):
/// \f[ \mathrm{prox}_{\tau f}(v)_{\cdot,i} = \max\!\big(1 - \tfrac{\tau\lambda}{\|v_{\cdot,i}\|}, 0\big)\, v_{\cdot,i}. \f]
/// The convex conjugate is the indicator of {max_i ‖p_{·,i}‖ ≤ λ}; `project_dual` projects onto it.
template <class T>
class L21Norm {
public:
    using scalar_type = T;

    /// λ > 0.
    explicit L21Norm(T lambda = T(1)) : lambda_(lambda) { require_positive("lucid::L21Norm", "lambda", lambda); }

    T lambda() const { return lambda_; }

    /// λ Σᵢ ‖p_{·,i}‖.
    template <std::size_t N>
    T value(const xt::xtensor<T, N>& p) const {
        static_assert(N >= 2, "L21Norm acts on fields of shape {G, ...}");
        const std::size_t g = p.shape()[0], n = p.size() / std::max<std::size_t>(g, 1);
        const T* d = p.data();
        double total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            double s = 0;
            for (std::size_t c = 0; c < g; ++c) s += double(d[c * n + i]) * double(d[c * n + i]);
            total += std::sqrt(s);
        }
        return T(double(lambda_) * total);
    }

    /// out = group soft threshold of v at τλ (out may alias v).
    template <std::size_t N>
    void prox(const xt::xtensor<T, N>& v, T tau, xt::xtensor<T, N>& out) const {
        constexpr const char* where = "lucid::L21Norm::prox";
        detail::require_tau(where, tau);
        if (out.shape() != v.shape()) detail::fail_argument<ShapeError>(where, "out", "of the shape of v", out.size());
        const T t = tau * lambda_;
        const std::size_t g = v.shape()[0], n = v.size() / std::max<std::size_t>(g, 1);
        const T* a = v.data();
        T* b = out.data();
        if (g == 2) {
            for (std::size_t i = 0; i < n; ++i) {
                const T x = a[i], y = a[n + i];
                const T nrm = std::sqrt(x * x + y * y);
                const T s = detail::group_shrink_factor(nrm, t);
                b[i] = s * x;
                b[n + i] = s * y;
            }
            return;
        }
        for (std::size_t i = 0; i < n; ++i) {
            T s2 = 0;
            for (std::size_t c = 0; c < g; ++c) s2 += a[c * n + i] * a[c * n + i];
            const T nrm = std::sqrt(s2);
            const T s = detail::group_shrink_factor(nrm, t);
            for (std::size_t c = 0; c < g; ++c) b[c * n + i] = s * a[c * n + i];
        }
    }

    /// prox_{σf*}(v): f* is the indicator of {‖p_{·,i}‖ ≤ λ}, so this is the projection (any σ > 0).
    template <std::size_t N>
    void prox_conjugate(const xt::xtensor<T, N>& v, T sigma, xt::xtensor<T, N>& out) const {
        detail::require_tau("lucid::L21Norm::prox_conjugate", sigma);
        project_dual(v, out);
    }

    /// out = projection of v onto {‖p_{·,i}‖ ≤ λ}: the prox of f* (out may alias v).
    template <std::size_t N>
    void project_dual(const xt::xtensor<T, N>& v, xt::xtensor<T, N>& out) const {
        project_onto_ball(v, out, lambda_, "lucid::L21Norm::project_dual");
    }

    /// out = projection of v onto {‖p_{·,i}‖ ≤ radius}, radius ≥ 0 (out may alias v).
    template <std::size_t N>
    void project_dual(const xt::xtensor<T, N>& v, xt::xtensor<T, N>& out, T radius) const {
        constexpr const char* where = "lucid::L21Norm::project_dual";
        require(std::isfinite(radius) && radius >= T(0), where, "radius", "finite and >= 0", radius);
        project_onto_ball(v, out, radius, where);
    }

private:
    template <std::size_t N>
    static void project_onto_ball(const xt::xtensor<T, N>& v, xt::xtensor<T, N>& out, T r, const char* where) {
        if (out.shape() != v.shape()) detail::fail_argument<ShapeError>(where, "out", "of the shape of v", out.size());
        const std::size_t g = v.shape()[0], n = v.size() / std::max<std::size_t>(g, 1);
        const T* a = v.data();
        T* b = out.data();
        for (std::size_t i = 0; i < n; ++i) {
            T s2 = 0;
            for (std::size_t c = 0; c < g; ++c) s2 += a[c * n + i] * a[c * n + i];
            T nrm = std::sqrt(s2);
            if (!(nrm < std::numeric_limits<T>::max())) nrm = group_norm_in_double(a + i, n, g);  // s2 overflowed T
            const T s = nrm > r ? r / nrm : T(1);
            for (std::size_t c = 0; c < g; ++c) b[c * n + i] = s * a[c * n + i];
        }
    }

    // ‖(a[0], a[n], …, a[(g−1)n])‖ with the squares summed in double
    static T group_norm_in_double(const T* a, std::size_t n, std::size_t g) {
        double s2 = 0;
        for (std::size_t c = 0; c < g; ++c) s2 += double(a[c * n]) * double(a[c * n]);
        return T(std::sqrt(s2));
    }

    T lambda_;
};

}  // namespace lucid
