#pragma once
/// \file psnr.hpp
/// Peak signal-to-noise ratio.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <limits>
#include <string_view>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/metrics/mse.hpp"

namespace lucid::metrics {

namespace detail {

/// 10 log10(mean((a − b)²)) by scaling with M = max|a − b|, for differences
/// whose squares leave double's range: 20 log10 M + 10 log10(mean(((a − b)/M)²)).
/// −∞ when a = b. Halves are differenced so that a − b cannot overflow.
template <class T>
double log_mse_scaled(const T* a, const T* b, std::size_t n) {
    double half_max = 0;
    for (std::size_t i = 0; i < n; ++i)
        half_max = std::max(half_max, std::abs(0.5 * double(a[i]) - 0.5 * double(b[i])));
    if (half_max == 0) return -std::numeric_limits<double>::infinity();
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double r = (0.5 * double(a[i]) - 0.5 * double(b[i])) / half_max;
        s += r * r;
    }
    return 20.0 * (std::log10(half_max) + std::log10(2.0)) + 10.0 * std::log10(s / double(n));
}

template <class E>
double psnr_impl(const E& ref, const E& img, double data_range) {
    constexpr std::string_view where = "lucid::metrics::psnr";
    require_positive(where, "data_range", data_range);
    require_comparable(where, ref, img);
    const double m = sum_squared_difference(ref.data(), img.data(), ref.size()) / double(ref.size());
    const double r2 = data_range * data_range;
    // The direct formula while every quantity is a normal double; otherwise (squares
    // that overflow, or underflow to a false 0 = "equal") the scaled one.
    if (std::isnormal(m) && std::isnormal(r2) && std::isfinite(r2 / m)) return 10.0 * std::log10(r2 / m);
    return 20.0 * std::log10(data_range) - log_mse_scaled(ref.data(), img.data(), ref.size());
}

}  // namespace detail

/// \f$ \mathrm{PSNR} = 10 \log_{10}\!\big(R^2 / \mathrm{MSE}(\mathit{ref}, \mathit{img})\big) \f$
/// in dB, R = `data_range` (1 for images in [0, 1]); +∞ when the images are
/// equal. Matches skimage.metrics.peak_signal_noise_ratio(ref, img, data_range=R).
/// Throws ShapeError if the shapes differ (naming 'img'), Error for an empty
/// or non-finite image or a data_range that is not finite and > 0.
///
/// Example: `double db = lucid::metrics::psnr(truth, restored);`
template <std::floating_point T>
double psnr(const Image<T>& ref, const Image<T>& img, double data_range = 1.0) {
    return detail::psnr_impl(ref, img, data_range);
}

/// PSNR of a C×H×W stack, the MSE pooled over all channels.
template <std::floating_point T>
double psnr(const ImageStack<T>& ref, const ImageStack<T>& img, double data_range = 1.0) {
    return detail::psnr_impl(ref, img, data_range);
}

}  // namespace lucid::metrics
