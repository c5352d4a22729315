#pragma once
/// \file l1.hpp
/// λ‖x‖₁ and its prox, soft thresholding.

#include <algorithm>
#include <cmath>

#include "lucid/functionals/concepts.hpp"

namespace lucid {

namespace detail {
/// soft(v, t) = sign(v)·max(|v| − t, 0) = v − clip(v, −t, t) (branch-free).
template <class T>
inline T soft_threshold(T v, T t) {
    const T c = v < -t ? -t : v;
    return v - (c > t ? t : c);
}
}  // namespace detail

/// f(x) = λ‖x‖₁ = λ Σᵢ |xᵢ| on any lucid::Vector with scalar T.
///
/// Prox (soft thresholding, Donoho 1995):
/// \f$ \mathrm{prox}_{\tau f}(v)_i = \mathrm{sign}(v_i)\max(|v_i| - \tau\lambda, 0) \f$.
/// ```cpp
/// lucid::L1<double> g(0.1);
/// g.prox(v, 0.5, out);   // out = soft(v, 0.05)
/// ```
template <class T>
class L1 {
public:
    using scalar_type = T;

    /// λ > 0 (finite).
    explicit L1(T lambda = T(1)) : lambda_(lambda) { require_positive("lucid::L1", "lambda", lambda); }

    T lambda() const { return lambda_; }

    /// λ Σᵢ |xᵢ|.
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    T value(const V& x) const { return lambda_ * norm1(x); }

    /// out = soft(v, τλ) (elementwise; out may alias v).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::L1::prox", tau);
        const T t = tau * lambda_;
        detail::elementwise(v, out, "lucid::L1::prox", [t](const T* a, T* b, std::ptrdiff_t n) {
            for (std::ptrdiff_t i = 0; i < n; ++i) b[i] = detail::soft_threshold(a[i], t);
        });
    }

private:
    T lambda_;
};

/// The indicator of the ℓ∞ ball {x : maxᵢ |xᵢ| ≤ r} (the convex conjugate of
/// r‖·‖₁). Prox = projection = clipping to [−r, r].
template <class T>
class LInfBall {
public:
    using scalar_type = T;

    /// r > 0; `tolerance` ≥ 0 is the slack `value` allows for round-off.
    explicit LInfBall(T radius = T(1), T tolerance = T(0)) : r_(radius), tol_(tolerance) {
        require_positive("lucid::LInfBall", "radius", radius);
        require_nonnegative("lucid::LInfBall", "tolerance", tolerance);
    }

    T radius() const { return r_; }

    /// 0 if ‖x‖∞ ≤ r + tolerance, +∞ otherwise.
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    T value(const V& x) const { return norm_inf(x) <= r_ + tol_ ? T(0) : detail::infinity<T>(); }

    /// out = clip(v, −r, r) (independent of τ).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::LInfBall::prox", tau);
        project(v, out);
    }

    /// Euclidean projection onto the ball: clip(v, −r, r).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void project(const V& v, V& out) const {
        const T r = r_;
        detail::elementwise(v, out, "lucid::LInfBall::project", [r](const T* a, T* b, std::ptrdiff_t n) {
            for (std::ptrdiff_t i = 0; i < n; ++i) b[i] = std::clamp(a[i], -r, r);
        });
    }

private:
    T r_, tol_;
};

}  // namespace lucid
