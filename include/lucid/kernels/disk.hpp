#pragma once
/// \file disk.hpp
/// Defocus (out-of-focus) blur: a uniform disk, anti-aliased by exact pixel coverage.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/kernels/limits.hpp"

namespace lucid::kernels {

namespace detail {

/// Exact area of the disk {x² + y² ≤ R²} inside the rectangle [x0,x1]×[y0,y1]:
/// ∫ |[y0,y1] ∩ [−s(x), s(x)]| dx with s(x) = √(R² − x²), integrated in closed
/// form (∫ s = ½(x s + R² asin(x/R))) between the breakpoints where s(x)
/// crosses |y0|, |y1| or 0.
inline double disk_rectangle_area(double radius, double x0, double x1, double y0, double y1) {
    const double R = radius, R2 = radius * radius;
    auto s = [&](double x) { return std::sqrt(std::max(0.0, R2 - x * x)); };
    auto F = [&](double x) {
        x = std::clamp(x, -R, R);
        return 0.5 * (x * std::sqrt(std::max(0.0, R2 - x * x)) + R2 * std::asin(x / R));
    };
    // s is monotone between these cuts, so each comparison with y0, y1 holds on a whole piece;
    // 0 (the top of the arc) keeps midpoints away from tangencies such as y1 = R
    std::vector<double> cuts{x0, x1, -R, 0.0, R};
    for (double y : {y0, y1})
        if (std::abs(y) <= R) {
            cuts.push_back(std::sqrt(R2 - y * y));
            cuts.push_back(-std::sqrt(R2 - y * y));
        }
    std::sort(cuts.begin(), cuts.end());
    double area = 0;
    for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
        const double a = std::max(cuts[c], x0), b = std::min(cuts[c + 1], x1);
        if (!(b > a)) continue;
        const double m = 0.5 * (a + b);
        if (std::abs(m) >= R) continue;
        const double sm = s(m);
        const bool top_is_arc = sm < y1, bottom_is_arc = -sm > y0;
        const double top = top_is_arc ? sm : y1, bottom = bottom_is_arc ? -sm : y0;
        if (!(top > bottom)) continue;
        const double arc = F(b) - F(a);  // ∫ s over [a, b]
        area += (top_is_arc ? arc : y1 * (b - a)) - (bottom_is_arc ? -arc : y0 * (b - a));
    }
    return area;
}

/// Coverage of pixel (i, j) (unit square centred on integer offsets) by the disk.
inline double disk_pixel_coverage(double radius, double row_offset, double col_offset) {
    return disk_rectangle_area(radius, col_offset - 0.5, col_offset + 0.5, row_offset - 0.5, row_offset + 0.5);
}

}  // namespace detail

/// Defocus blur: the uniform disk of `radius` pixels centred on the centre
/// pixel, anti-aliased exactly — each entry is the area of its pixel (a unit
/// square) inside the circle, computed in closed form, divided by the total
/// πR²: \f$ k[i,j] = |\,[j-\tfrac12, j+\tfrac12]\times[i-\tfrac12, i+\tfrac12] \cap D_R| / (\pi R^2) \f$
/// with offsets i, j from the centre. Size 2r+1 with r = ⌈R + ½⌉ − 1 (the
/// last pixels the circle reaches); axis-symmetric, so ops::Convolution with
/// `reflect` reports its DCT-II spectrum.
///
/// \param radius disk radius in pixels (finite, > 0)
/// ```cpp
/// auto k = lucid::kernels::disk<double>(4);   // 9×9, centre entries 1/(16π)
/// ```
template <class T>
Image<T> disk(double radius) {
    constexpr const char* where = "lucid::kernels::disk";
    require_positive(where, "radius", radius);
    lucid::detail::require_kernel_side(where, "radius", 2 * (std::ceil(radius + 0.5) - 1) + 1);
    const std::ptrdiff_t r = std::max<std::ptrdiff_t>(0, std::ptrdiff_t(std::ceil(radius + 0.5)) - 1);
    // R ≤ ½: the whole disk lies in the centre pixel, k = [1] exactly (its area πR² may underflow to 0)
    if (r == 0) return Image<T>({1, 1}, T(1));
    const std::size_t side = std::size_t(2 * r + 1);
    xt::xtensor<double, 2> cover({side, side}, 0.0);
    // one octant (0 ≤ i ≤ j), mirrored: the kernel is exactly symmetric under flips and transposition
    for (std::ptrdiff_t j = 0; j <= r; ++j)
        for (std::ptrdiff_t i = 0; i <= j; ++i) {
            const double a = detail::disk_pixel_coverage(radius, double(i), double(j));
            for (std::ptrdiff_t si : {-1, 1})
                for (std::ptrdiff_t sj : {-1, 1}) {
                    cover(std::size_t(r + si * i), std::size_t(r + sj * j)) = a;
                    cover(std::size_t(r + sj * j), std::size_t(r + si * i)) = a;
                }
        }
    double total = 0;
    for (double a : cover) total += a;
    Image<T> k({side, side});
    for (std::size_t i = 0; i < side; ++i)
        for (std::size_t j = 0; j < side; ++j) k(i, j) = T(cover(i, j) / total);
    return k;
}

}  // namespace lucid::kernels
