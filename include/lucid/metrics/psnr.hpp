#pragma once
/// \file psnr.hpp
/// Peak signal-to-noise ratio.

#include <cmath>
#include <concepts>
#include <limits>
#include <string_view>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/metrics/mse.hpp"

namespace lucid::metrics {

namespace detail {

template <class E>
double psnr_impl(const E& ref, const E& img, double data_range) {
    constexpr std::string_view where = "lucid::metrics::psnr";
    require_positive(where, "data_range", data_range);
    require_comparable(where, ref, img);
    const double m = sum_squared_difference(ref.data(), img.data(), ref.size()) / double(ref.size());
    if (m == 0) return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(data_range * data_range / m);
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
