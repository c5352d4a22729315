#pragma once
/// \file pixel_losses.hpp
/// Pixel losses with gradients: mean squared and mean absolute error.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/vector_space.hpp"

namespace lucid::learning {

namespace detail {
/// target has x's shape, and x is not empty (a mean over no pixels is 0/0).
template <class V>
void require_same_shape(const char* where, const V& x, const V& t) {
    require(element_count(x) > 0, where, "x", "a non-empty vector", "an empty one");
    require_shape(where, "target", shape_of(t), shape_of(x));
}
}  // namespace detail

/// Mean squared error \f$ L(x) = \frac1n \sum_i (x_i - t_i)^2 \f$ with
/// \f$ \nabla L = \frac2n (x - t) \f$ written into `*grad` when given.
template <Vector V>
scalar_t<V> l2_loss(const V& x, const V& target, V* grad = nullptr) {
    detail::require_same_shape("lucid::learning::l2_loss", x, target);
    using T = scalar_t<V>;
    const auto n = element_count(x);
    double s = 0;
    lucid::detail::for_each_leaf([&](auto a, auto b) {
        for (std::size_t i = 0; i < a.size(); ++i) {
            const double d = double(a[i]) - double(b[i]);
            s += d * d;
        }
    }, x, target);
    if (grad) {
        require_shape("lucid::learning::l2_loss", "grad", shape_of(*grad), shape_of(x));
        lincomb(T(2.0 / double(n)), x, T(-2.0 / double(n)), target, *grad);
    }
    return T(s / double(n));
}

/// Mean absolute error \f$ L(x) = \frac1n \sum_i |x_i - t_i| \f$; `*grad`
/// gets the subgradient \f$ \mathrm{sign}(x - t)/n \f$ (0 where x = t).
template <Vector V>
scalar_t<V> l1_loss(const V& x, const V& target, V* grad = nullptr) {
    detail::require_same_shape("lucid::learning::l1_loss", x, target);
    using T = scalar_t<V>;
    const double n = double(element_count(x));
    double s = 0;
    lucid::detail::for_each_leaf([&](auto a, auto b) {
        for (std::size_t i = 0; i < a.size(); ++i) s += std::abs(double(a[i]) - double(b[i]));
    }, x, target);
    if (grad) {
        require_shape("lucid::learning::l1_loss", "grad", shape_of(*grad), shape_of(x));
        lucid::detail::for_each_leaf([&](auto a, auto b, auto g) {
            for (std::size_t i = 0; i < a.size(); ++i)
                g[i] = a[i] > b[i] ? T(1 / n) : (a[i] < b[i] ? T(-1 / n) : T(0));
        }, x, target, *grad);
    }
    return T(s / n);
}

}  // namespace lucid::learning
