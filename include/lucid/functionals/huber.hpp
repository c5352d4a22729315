#pragma once
/// \file huber.hpp
/// The Huber function (Huber 1964), a smooth ℓ1, with gradient and prox.

#include <algorithm>
#include <cmath>

#include <xsimd/xsimd.hpp>

#include "lucid/functionals/concepts.hpp"

namespace lucid {

/// f(x) = λ Σᵢ H_δ(xᵢ) with
/// \f$ H_\delta(t) = t^2/(2\delta) \f$ for |t| ≤ δ and \f$ |t| - \delta/2 \f$ otherwise
/// — the Moreau envelope of |·| with parameter δ, so H_δ → |·| as δ → 0
/// (multiply by δ for the statistics convention ½t² / δ(|t| − δ/2)).
///
/// Gradient λ·clip(x/δ, −1, 1), Lipschitz constant λ/δ. Prox:
/// \f$ \mathrm{prox}_{\tau f}(v)_i = v_i/(1 + \tau\lambda/\delta) \f$ if |vᵢ| ≤ δ + τλ,
/// else \f$ v_i - \tau\lambda\,\mathrm{sign}(v_i) \f$.
template <class T>
class Huber {
public:
    using scalar_type = T;

    /// δ > 0 (the quadratic zone half-width), λ > 0.
    explicit Huber(T delta, T lambda = T(1)) : delta_(delta), lambda_(lambda) {
        require_positive("lucid::Huber", "delta", delta);
        require_positive("lucid::Huber", "lambda", lambda);
    }

    T delta() const { return delta_; }
    T lambda() const { return lambda_; }
    /// λ/δ.
    T lipschitz() const { return lambda_ / delta_; }

    /// λ Σᵢ H_δ(xᵢ).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    T value(const V& x) const {
        const double d = double(delta_);
        const double total = detail::reduce_leaves(x, [d](const T* p, std::ptrdiff_t n) {
            double s = 0;
            for (std::ptrdiff_t i = 0; i < n; ++i) {
                const double a = std::abs(double(p[i]));
                s += a <= d ? a * a / (2 * d) : a - d / 2;
            }
            return s;
        });
        return T(double(lambda_) * total);
    }

    /// g = λ·clip(x/δ, −1, 1).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void gradient(const V& x, V& g) const {
        const T inv = T(1) / delta_, l = lambda_;
        detail::elementwise(x, g, "lucid::Huber::gradient", [inv, l](const T* a, T* b, std::ptrdiff_t n) {
            using B = xsimd::batch<T>;
            constexpr std::ptrdiff_t L = std::ptrdiff_t(B::size);
            const B one(T(1)), bl(l), bi(inv);
            std::ptrdiff_t i = 0;
            for (; i + L <= n; i += L)
                (bl * xsimd::min(one, xsimd::max(-one, B::load_unaligned(a + i) * bi))).store_unaligned(b + i);
            // std::clamp keeps a NaN (as the SIMD max/min above do); std::max(−1, NaN) would give −1
            for (; i < n; ++i) b[i] = l * std::clamp(a[i] * inv, T(-1), T(1));
        });
    }

    /// Exact prox (see class comment).
    template <Vector V>
        requires std::same_as<scalar_t<V>, T>
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::Huber::prox", tau);
        // p = v − t·clip(v/(δ + t), −1, 1): s·v inside the knee, v ∓ t outside (branch-free)
        const T t = tau * lambda_, inv_knee = T(1) / (delta_ + t);
        detail::elementwise(v, out, "lucid::Huber::prox", [=](const T* a, T* b, std::ptrdiff_t n) {
            using B = xsimd::batch<T>;
            constexpr std::ptrdiff_t L = std::ptrdiff_t(B::size);
            const B one(T(1)), bt(t), bk(inv_knee);
            std::ptrdiff_t i = 0;
            for (; i + L <= n; i += L) {
                const B x = B::load_unaligned(a + i);
                (x - bt * xsimd::min(one, xsimd::max(-one, x * bk))).store_unaligned(b + i);
            }
            for (; i < n; ++i) b[i] = a[i] - t * std::min(T(1), std::max(T(-1), a[i] * inv_knee));
        });
    }

private:
    T delta_, lambda_;
};

}  // namespace lucid
