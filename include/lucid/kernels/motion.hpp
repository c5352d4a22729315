#pragma once
/// \file motion.hpp
/// Linear motion blur: an anti-aliased line segment.

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/kernels/limits.hpp"

namespace lucid::kernels {

namespace detail {

/// Removes equal numbers of all-zero rows (columns) from both ends, so the
/// centre stays at index (h/2, w/2) of an odd-sized kernel.
template <class T>
Image<T> trim_symmetric(const Image<T>& k) {
    const std::size_t h = k.shape()[0], w = k.shape()[1];
    auto row_zero = [&](std::size_t i) {
        for (std::size_t j = 0; j < w; ++j)
            if (k(i, j) != T(0)) return false;
        return true;
    };
    auto col_zero = [&](std::size_t j) {
        for (std::size_t i = 0; i < h; ++i)
            if (k(i, j) != T(0)) return false;
        return true;
    };
    std::size_t r = 0, c = 0;
    while (2 * (r + 1) < h && row_zero(r) && row_zero(h - 1 - r)) ++r;
    while (2 * (c + 1) < w && col_zero(c) && col_zero(w - 1 - c)) ++c;
    Image<T> out({h - 2 * r, w - 2 * c});
    for (std::size_t i = 0; i < out.shape()[0]; ++i)
        for (std::size_t j = 0; j < out.shape()[1]; ++j) out(i, j) = k(i + r, j + c);
    return out;
}

}  // namespace detail

/// Linear motion blur of `length` pixels in the direction `angle_degrees`
/// (counter-clockwise from the x axis in a y-up frame, like kernels::gaussian:
/// 0 = horizontal, 90 = vertical, 45 = bottom-left to top-right).
///
/// The kernel is the uniform measure on the segment
/// \f$ \{ t\,(\cos\theta, -\sin\theta) : |t| \le L/2 \} \f$ (offsets in
/// (column, row) from the centre pixel), anti-aliased: the segment is sampled
/// at n = ⌈32 L⌉ + 1 midpoints and each sample is splatted bilinearly onto its
/// four neighbouring pixels, i.e. the line convolved with a 2-pixel tent.
/// The result is point-symmetric, sums to 1, has its centroid at the centre
/// (index (h/2, w/2), odd sizes) and second moments ≈ L²/12 along θ (+ ≈ 1/6
/// from the tent); all-zero border rows and columns are trimmed in pairs
/// (angle 0 gives a 1×(2⌈L/2⌉+1)-ish row).
///
/// \param length        segment length in pixels (finite, > 0)
/// \param angle_degrees direction in degrees (finite, any sign)
/// ```cpp
/// auto k = lucid::kernels::motion<double>(15, 45);
/// ```
template <class T>
Image<T> motion(double length, double angle_degrees) {
    constexpr const char* where = "lucid::kernels::motion";
    require_positive(where, "length", length);
    require_finite(where, "angle_degrees", angle_degrees);
    lucid::detail::require_kernel_side(where, "length", 2 * (std::ceil(length / 2) + 1) + 1);
    // reduced first: angle·π overflows for |angle| ≳ 5.7e307 (cos(inf) = NaN)
    double a = std::fmod(angle_degrees, 360.0);
    if (a < 0) a += 360.0;
    const double theta = a * 3.14159265358979323846 / 180.0;
    double dx = std::cos(theta), dy = -std::sin(theta);  // column, row steps (rows go down)
    // Exact steps along the axes: sin(π) ≈ 1.2e-16, not 0, would spread taps of
    // that size into extra rows (a 3×17 kernel for the 1×17 segment at 180°).
    if (a == 0.0 || a == 180.0) dy = 0.0;
    if (a == 90.0 || a == 270.0) dx = 0.0;
    const std::ptrdiff_t r = std::max<std::ptrdiff_t>(1, std::ptrdiff_t(std::ceil(length / 2)) + 1);
    const std::size_t side = std::size_t(2 * r + 1);
    xt::xtensor<double, 2> acc({side, side}, 0.0);
    const std::size_t n = std::size_t(std::ceil(32 * length)) + 1;
    for (std::size_t s = 0; s < n; ++s) {
        const double t = -length / 2 + (double(s) + 0.5) * length / double(n);
        const double px = double(r) + t * dx, py = double(r) + t * dy;
        const double fx = std::floor(px), fy = std::floor(py);
        const double ax = px - fx, ay = py - fy;
        const std::size_t j = std::size_t(fx), i = std::size_t(fy);
        acc(i, j) += (1 - ay) * (1 - ax);
        if (ax > 0) acc(i, j + 1) += (1 - ay) * ax;
        if (ay > 0) acc(i + 1, j) += ay * (1 - ax);
        if (ax > 0 && ay > 0) acc(i + 1, j + 1) += ay * ax;
    }
    double total = 0;
    for (double v : acc) total += v;
    Image<T> k({side, side});
    for (std::size_t i = 0; i < side; ++i)
        for (std::size_t j = 0; j < side; ++j) k(i, j) = T(acc(i, j) / total);
    return detail::trim_symmetric(k);
}

}  // namespace lucid::kernels
