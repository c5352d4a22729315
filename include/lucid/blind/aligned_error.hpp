#pragma once
/// \file aligned_error.hpp
/// Squared error up to a translation, and the error ratio of Levin et al. for
/// evaluating blind deblurring.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"

namespace lucid::blind {

/// The best alignment found by `aligned_error`.
struct AlignedError {
    double sum_squared = 0;          ///< Σ over the compared pixels at the best shift
    double mse = 0;                  ///< sum_squared / pixels
    double shift_y = 0;              ///< estimate(p + s) is compared with reference(p)
    double shift_x = 0;
    std::size_t pixels = 0;          ///< number of compared pixels
};

/// Sum of squared differences minimized over translations,
/// \f[ E = \min_{s}\ \sum_{p \in \Omega_b} \big(r(p) - e(p + s)\big)^2, \f]
/// Ω_b the pixels at least `border` from the edge of the reference: first
/// over integer shifts |s_y|, |s_x| ≤ S, then (when `subpixel` is true) over
/// fractional shifts within ±0.5 pixel of the best one in steps of 0.1, with
/// e interpolated bilinearly. Blind deblurring recovers the image only up to
/// a translation (a shifted kernel explains the data as well), so it is
/// compared after alignment, as in the evaluation code of Levin, Weiss,
/// Durand & Freeman, "Understanding and evaluating blind deconvolution
/// algorithms" (CVPR 2009: sub-pixel shifts in steps of 0.1, bilinear
/// interpolation), whose error ratio is E(blind result)/E(non-blind result
/// with the true kernel) — see `error_ratio`.
///
/// \param reference sharp image (H×W, finite)
/// \param estimate  restored image of the same size (finite)
/// \param max_shift S, the largest integer shift tried in each direction
/// \param border    pixels ignored at each edge, ≥ S + 1 and < H/2, W/2
/// \param subpixel  refine the shift to 0.1 pixel (default true)
/// \throws lucid::Error naming `estimate` (shape), `border` or a non-finite image
template <class T>
AlignedError aligned_error(const Image<T>& reference, const Image<T>& estimate, std::size_t max_shift,
                           std::size_t border, bool subpixel = true) {
    constexpr const char* where = "lucid::blind::aligned_error";
    require_finite_image(where, "reference", reference);
    require_finite_image(where, "estimate", estimate);
    require_shape(where, "estimate", estimate.shape(), reference.shape());
    const std::size_t h = reference.shape()[0], w = reference.shape()[1];
    // compared without forming max_shift + 1 or 2·border, which wrap for huge values
    if (!(border > max_shift))
        lucid::detail::fail_argument(where, "border", lucid::detail::concat(">= max_shift + 1 (max_shift = ", max_shift, ")"),
                                     border);
    if (!(h > 0 && w > 0 && border <= (h - 1) / 2 && border <= (w - 1) / 2))  // 2·border < h, w
        lucid::detail::fail_argument(where, "border", lucid::detail::concat("< half the image size (", std::min(h, w) / 2, ")"),
                                     border);
    // Σ (r(p) − e(p + s))² with e(p + s) bilinear for s = (sy + fy, sx + fx), 0 ≤ fy, fx < 1.
    auto ssd = [&](std::ptrdiff_t sy, std::ptrdiff_t sx, double fy, double fx) {
        double acc = 0;
        const double w00 = (1 - fy) * (1 - fx), w01 = (1 - fy) * fx, w10 = fy * (1 - fx), w11 = fy * fx;
        for (std::size_t i = border; i + border < h; ++i) {
            const T* r = reference.data() + i * w;
            const T* e0 = estimate.data() + std::size_t(std::ptrdiff_t(i) + sy) * w;
            const T* e1 = fy > 0 ? e0 + w : e0;
            for (std::size_t j = border; j + border < w; ++j) {
                const std::size_t q = std::size_t(std::ptrdiff_t(j) + sx);
                const std::size_t q1 = fx > 0 ? q + 1 : q;
                const double v = w00 * double(e0[q]) + w01 * double(e0[q1]) + w10 * double(e1[q]) + w11 * double(e1[q1]);
                const double d = double(r[j]) - v;
                acc += d * d;
            }
        }
        return acc;
    };
    AlignedError best;
    best.sum_squared = std::numeric_limits<double>::infinity();
    const std::ptrdiff_t S = std::ptrdiff_t(max_shift);
    for (std::ptrdiff_t sy = -S; sy <= S; ++sy)
        for (std::ptrdiff_t sx = -S; sx <= S; ++sx) {
            const double acc = ssd(sy, sx, 0, 0);
            if (acc < best.sum_squared) {
                best.sum_squared = acc;
                best.shift_y = double(sy);
                best.shift_x = double(sx);
            }
        }
    if (subpixel) {
        const double by = best.shift_y, bx = best.shift_x;
        for (int a = -5; a <= 5; ++a)
            for (int b = -5; b <= 5; ++b) {
                if (a == 0 && b == 0) continue;
                const double ty = by + 0.1 * a, tx = bx + 0.1 * b;
                const double iy = std::floor(ty), ix = std::floor(tx);
                const double acc = ssd(std::ptrdiff_t(iy), std::ptrdiff_t(ix), ty - iy, tx - ix);
                if (acc < best.sum_squared) {
                    best.sum_squared = acc;
                    best.shift_y = ty;
                    best.shift_x = tx;
                }
            }
    }
    best.pixels = (h - 2 * border) * (w - 2 * border);
    best.mse = best.sum_squared / double(best.pixels);
    return best;
}

/// Levin et al. (CVPR 2009)'s error ratio E(blind)/E(non-blind), both from
/// `aligned_error` against the same sharp reference with the same shift range
/// and border: 1 means the estimated kernel is as good as the true one for
/// this deconvolution; Levin et al. count results with ratio ≤ 2 (or ≤ 3) as
/// successes. Throws lucid::Error naming `non_blind` if its error is 0.
template <class T>
double error_ratio(const Image<T>& reference, const Image<T>& blind, const Image<T>& non_blind,
                   std::size_t max_shift, std::size_t border, bool subpixel = true) {
    const double eb = aligned_error(reference, blind, max_shift, border, subpixel).sum_squared;
    const double en = aligned_error(reference, non_blind, max_shift, border, subpixel).sum_squared;
    require(en > 0, "lucid::blind::error_ratio", "non_blind", "an image that differs from the reference", "0 error");
    return eb / en;
}

}  // namespace lucid::blind
