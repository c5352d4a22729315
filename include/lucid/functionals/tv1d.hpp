#pragma once
/// \file tv1d.hpp
/// Exact prox of 1-D total variation by Condat's direct algorithm.

#include <cstddef>
#include <span>

#include "lucid/core/error.hpp"
#include "lucid/core/vector_space.hpp"

namespace lucid {

/// Exact 1-D TV denoising (the taut string), Condat (2013), "A direct
/// algorithm for 1-D total variation denoising", IEEE SPL 20(11):
/// \f$ x = \arg\min_x \tfrac12\sum_k (x_k - y_k)^2 + \lambda\sum_k |x_{k+1} - x_k| \f$.
/// O(n) in practice, no allocation; `x` may alias `y`. λ ≥ 0 (λ = 0 copies).
template <class T>
void tv1d_prox(std::span<const T> y, T lambda, std::span<T> x) {
    constexpr const char* where = "lucid::tv1d_prox";
    require(std::isfinite(lambda) && lambda >= T(0), where, "lambda", "finite and >= 0", lambda);
    if (x.size() != y.size())
        detail::fail_argument<ShapeError>(where, "x", detail::concat("of y's size (", y.size(), ")"), x.size());
    const std::ptrdiff_t n = std::ptrdiff_t(y.size());
    if (n == 0) return;
    const T* in = y.data();
    T* out = x.data();
    if (lambda == T(0) || n == 1) {
        for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = in[i];
        return;
    }
    // Variable names follow Condat's reference C code (version 2).
    std::ptrdiff_t k = 0, k0 = 0, kplus = 0, kminus = 0;
    T umin = lambda, umax = -lambda;           // dual variable bounds
    T vmin = in[0] - lambda, vmax = in[0] + lambda;  // bounds of the current segment's value
    const T twolambda = T(2) * lambda, minlambda = -lambda;
    for (;;) {
        while (k == n - 1) {  // right boundary
            if (umin < T(0)) {  // vmin too high: negative jump
                do out[k0++] = vmin; while (k0 <= kminus);
                umax = (vmin = in[kminus = k = k0]) + (umin = lambda) - vmax;
            } else if (umax > T(0)) {  // vmax too low: positive jump
                do out[k0++] = vmax; while (k0 <= kplus);
                umin = (vmax = in[kplus = k = k0]) + (umax = minlambda) - vmin;
            } else {
                vmin += umin / T(k - k0 + 1);
                do out[k0++] = vmin; while (k0 <= k);
                return;
            }
        }
        if ((umin += in[k + 1] - vmin) < minlambda) {  // negative jump
            do out[k0++] = vmin; while (k0 <= kminus);
            vmax = (vmin = in[kplus = kminus = k = k0]) + twolambda;
            umin = lambda;
            umax = minlambda;
        } else if ((umax += in[k + 1] - vmax) > lambda) {  // positive jump
            do out[k0++] = vmax; while (k0 <= kplus);
            vmin = (vmax = in[kplus = kminus = k = k0]) - twolambda;
            umin = lambda;
            umax = minlambda;
        } else {  // no jump
            ++k;
            if (umin >= lambda) {
                vmin += (umin - lambda) / T((kminus = k) - k0 + 1);
                umin = lambda;
            }
            if (umax <= minlambda) {
                vmax += (umax + lambda) / T((kplus = k) - k0 + 1);
                umax = minlambda;
            }
        }
    }
}

/// 1-D TV prox of a whole vector (Eigen vector, 1-D xtensor, or any lucid::Vector
/// flattened): out = argmin ½‖x − y‖² + λ Σ|x_{k+1} − x_k|.
template <Vector V>
void tv1d_prox(const V& y, scalar_t<V> lambda, V& out) {
    using T = scalar_t<V>;
    static_assert(!detail::is_product_v<V>, "tv1d_prox needs a single vector, not a tuple");
    tv1d_prox(std::span<const T>(VectorTraits<V>::data(y), element_count(y)), lambda,
              std::span<T>(VectorTraits<V>::data(out), element_count(out)));
}

}  // namespace lucid
