#pragma once
/// \file bilateral.hpp
/// The bilateral filter used by Polyblur's optional pre-filter: the image is
/// split into an edge-preserving base layer (deblurred) and a residual
/// (noise and fine texture, added back unchanged).
///
/// \f[ b(p) = \frac{\sum_{q} w_s(p-q)\, w_r(p,q)\, v(q)}{\sum_q w_s(p-q)\, w_r(p,q)},\quad
///     w_s(d) = e^{-\|d\|^2/(2\sigma_s^2)},\quad
///     w_r(p,q) = e^{-\bar d(p,q)^2/(2\sigma_r^2)}, \f]
/// with q over the (2ρ+1)² window, ρ = ⌈2σ_s⌉, the replicate boundary, and
/// \f$\bar d^2\f$ the squared difference averaged over the channels (one
/// weight for all channels, so colours are not shifted).
/// Reference: C. Tomasi, R. Manduchi, "Bilateral filtering for gray and color
/// images", ICCV 1998.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/threading.hpp"
#include "lucid/polyblur/detail.hpp"

namespace lucid::polyblur {

namespace detail {

/// Bilateral filter of C planes of H×W (see the file comment) into out.
template <class T>
void bilateral_planes(const T* v, std::size_t channels, std::size_t h, std::size_t w, double sigma_s,
                      double sigma_r, T* out) {
    const std::ptrdiff_t rho = std::ptrdiff_t(std::ceil(2 * sigma_s));
    const std::ptrdiff_t H = std::ptrdiff_t(h), W = std::ptrdiff_t(w), side = 2 * rho + 1;
    std::vector<double> ws(std::size_t(side * side));
    for (std::ptrdiff_t dy = -rho; dy <= rho; ++dy)
        for (std::ptrdiff_t dx = -rho; dx <= rho; ++dx)
            ws[std::size_t((dy + rho) * side + dx + rho)] = std::exp(-double(dy * dy + dx * dx) / (2 * sigma_s * sigma_s));
    const double range = -1.0 / (2 * sigma_r * sigma_r * double(channels));
    const std::size_t plane = h * w;
    parallel_for(0, H, [&](std::ptrdiff_t y) {
        std::vector<double> acc(channels);
        for (std::ptrdiff_t x = 0; x < W; ++x) {
            const std::size_t p = std::size_t(y * W + x);
            std::fill(acc.begin(), acc.end(), 0.0);
            double total = 0;
            for (std::ptrdiff_t dy = -rho; dy <= rho; ++dy) {
                const std::ptrdiff_t yy = clamp_index(y + dy, H);
                for (std::ptrdiff_t dx = -rho; dx <= rho; ++dx) {
                    const std::size_t q = std::size_t(yy * W + clamp_index(x + dx, W));
                    double d2 = 0;
                    for (std::size_t c = 0; c < channels; ++c) {
                        const double d = double(v[c * plane + q]) - double(v[c * plane + p]);
                        d2 += d * d;
                    }
                    // d2 = 0 gives 1 even when σ_r² underflows (range = −inf, 0·inf = NaN): the
                    // σ_r → 0 limit then keeps exactly the neighbours of equal value.
                    const double wr = d2 > 0 ? std::exp(range * d2) : 1.0;
                    const double wt = ws[std::size_t((dy + rho) * side + dx + rho)] * wr;
                    total += wt;
                    for (std::size_t c = 0; c < channels; ++c) acc[c] += wt * double(v[c * plane + q]);
                }
            }
            for (std::size_t c = 0; c < channels; ++c) out[c * plane + p] = T(acc[c] / total);
        }
    }, 1);
}

}  // namespace detail

/// Bilateral filter of an H×W image or C×H×W stack (formula in the file
/// comment): spatial std `sigma_spatial` (pixels), range std `sigma_range`
/// (gray levels, on the channel-averaged squared difference).
///
/// Example: `auto base = lucid::polyblur::bilateral_filter(img, 2.0, 0.1);`
template <class T, std::size_t Rank>
xt::xtensor<T, Rank> bilateral_filter(const xt::xtensor<T, Rank>& image, double sigma_spatial, double sigma_range) {
    static_assert(Rank == 2 || Rank == 3, "bilateral_filter acts on H×W images or C×H×W stacks");
    constexpr std::string_view where = "lucid::polyblur::bilateral_filter";
    require_positive(where, "sigma_spatial", sigma_spatial);
    require(sigma_spatial <= 64, where, "sigma_spatial", "at most 64 pixels", sigma_spatial);
    require_positive(where, "sigma_range", sigma_range);
    require_finite_image(where, "image", image);
    const Shape<Rank> s = shape_of(image);
    const auto hw = plane_shape(s);
    xt::xtensor<T, Rank> out(image.shape());
    detail::bilateral_planes(image.data(), channel_count(s), hw[0], hw[1], sigma_spatial, sigma_range, out.data());
    return out;
}

}  // namespace lucid::polyblur
