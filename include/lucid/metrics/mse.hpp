#pragma once
/// \file mse.hpp
/// Mean squared error between two images of the same shape.

#include <cmath>
#include <concepts>
#include <cstddef>
#include <string_view>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"

namespace lucid::metrics {

namespace detail {

/// Checks that `ref` and `img` are non-empty, of equal shape (ShapeError
/// naming `img_name` otherwise) and finite.
template <class E>
void require_comparable(std::string_view where, const E& ref, const E& img, std::string_view ref_name = "ref",
                        std::string_view img_name = "img") {
    require_shape(where, img_name, img.shape(), ref.shape());
    require_finite_image(where, ref_name, ref);
    require_finite_image(where, img_name, img);
}

/// Σ (aᵢ − bᵢ)² accumulated in double, four independent partial sums.
template <class T>
double sum_squared_difference(const T* a, const T* b, std::size_t n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const double d0 = double(a[i]) - double(b[i]), d1 = double(a[i + 1]) - double(b[i + 1]);
        const double d2 = double(a[i + 2]) - double(b[i + 2]), d3 = double(a[i + 3]) - double(b[i + 3]);
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
    }
    for (; i < n; ++i) {
        const double d = double(a[i]) - double(b[i]);
        s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
}

template <class E>
double mse_impl(std::string_view where, const E& a, const E& b) {
    require_comparable(where, a, b, "a", "b");
    return sum_squared_difference(a.data(), b.data(), a.size()) / double(a.size());
}

}  // namespace detail

/// \f$ \mathrm{MSE}(a, b) = \frac{1}{n}\sum_{i=1}^{n} (a_i - b_i)^2 \f$ over all
/// n pixels of an H×W image, accumulated in double
/// (= skimage.metrics.mean_squared_error).
/// Throws ShapeError if the shapes differ (naming 'b'), Error if either image
/// is empty or has a non-finite value.
template <std::floating_point T>
double mse(const Image<T>& a, const Image<T>& b) {
    return detail::mse_impl("lucid::metrics::mse", a, b);
}

/// MSE over all n = C·H·W values of a C×H×W stack (all channels pooled).
template <std::floating_point T>
double mse(const ImageStack<T>& a, const ImageStack<T>& b) {
    return detail::mse_impl("lucid::metrics::mse", a, b);
}

}  // namespace lucid::metrics
