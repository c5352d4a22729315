#pragma once
/// \file edge_taper.hpp
/// Edge tapering: blend an image toward its circular blur near the border so
/// that its periodic extension has no false edge (the classic "edgetaper").
///
/// For a kernel k (kh×kw) let p_y(Y) = Σ_X k(Y, X) and p_x(X) = Σ_Y k(Y, X)
/// be its projections and a(d) = Σ_t p(t) p(t + d) their autocorrelations.
/// On an N×M grid, with the lag to the nearest grid edge
/// ℓ_y(i) = min(i, N − 1 − i) (likewise ℓ_x(j)),
/// \f[ \beta_y(i) = a_y(\ell_y(i))/a_y(0)\ (0 \text{ for } \ell_y \ge k_h),\qquad
///     w(i, j) = (1 - \beta_y(i))(1 - \beta_x(j)), \f]
/// \f[ \text{taper}(v) = w \odot v + (1 - w) \odot (k \circledast v), \f]
/// with ⊛ the circular convolution. w is 0 on the grid's outer rows and
/// columns and 1 from a kernel's width inward.

#include <algorithm>
#include <complex>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"

namespace lucid::polyblur {

namespace detail {

/// 1 − β of the file comment along one axis of length n, from a projection p.
inline std::vector<double> taper_weights(const std::vector<double>& p, std::size_t n) {
    const std::size_t len = p.size();
    std::vector<double> a(len, 0.0);
    for (std::size_t d = 0; d < len; ++d)
        for (std::size_t t = 0; t + d < len; ++t) a[d] += p[t] * p[t + d];
    std::vector<double> w(n, 1.0);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t lag = std::min(i, n - 1 - i);
        if (lag < len && a[0] > 0) w[i] = 1.0 - a[lag] / a[0];
    }
    return w;
}

/// Projections of a kernel on the row (Y) and column (X) axes.
template <class T>
std::pair<std::vector<double>, std::vector<double>> kernel_projections(const Image<T>& k) {
    const std::size_t kh = k.shape()[0], kw = k.shape()[1];
    std::vector<double> py(kh, 0.0), px(kw, 0.0);
    for (std::size_t i = 0; i < kh; ++i)
        for (std::size_t j = 0; j < kw; ++j) {
            py[i] += double(k(i, j));
            px[j] += double(k(i, j));
        }
    return {py, px};
}

/// grid ← w ⊙ grid + (1 − w) ⊙ blurred with w(i,j) = wy[i]·wx[j].
template <class T>
void taper_blend(T* grid, const T* blurred, std::size_t n, std::size_t m, const std::vector<double>& wy,
                 const std::vector<double>& wx) {
    for (std::size_t i = 0; i < n; ++i) {
        T* g = grid + i * m;
        const T* b = blurred + i * m;
        const double yi = wy[i];
        for (std::size_t j = 0; j < m; ++j) {
            const T wgt = T(yi * wx[j]);
            g[j] = wgt * g[j] + (T(1) - wgt) * b[j];
        }
    }
}

}  // namespace detail

/// Edge taper of an H×W image (or each plane of a C×H×W stack) with the
/// kernel k on the image's own periodic grid (see the file comment):
/// out = w ⊙ v + (1 − w) ⊙ (k ⊛ v). The kernel's centre is (kh/2, kw/2);
/// kh, kw must be odd and at most H, W.
///
/// Example: `auto t = lucid::polyblur::edge_taper(v, lucid::kernels::gaussian<double>(2.0));`
template <class T, std::size_t Rank>
xt::xtensor<T, Rank> edge_taper(const xt::xtensor<T, Rank>& v, const Image<T>& kernel) {
    static_assert(Rank == 2 || Rank == 3, "edge_taper acts on H×W images or C×H×W stacks");
    constexpr std::string_view where = "lucid::polyblur::edge_taper";
    require_finite_image(where, "v", v);
    require_finite_image(where, "kernel", kernel);
    const Shape<Rank> s = shape_of(v);
    const auto hw = plane_shape(s);
    const std::size_t h = hw[0], w = hw[1], kh = kernel.shape()[0], kw = kernel.shape()[1];
    require(kh % 2 == 1 && kw % 2 == 1, where, "kernel", "of odd height and width",
            shape_string(Shape<2>{kh, kw}));
    require(kh <= h && kw <= w, where, "kernel", "no larger than the image " + shape_string(hw),
            shape_string(Shape<2>{kh, kw}));
    const auto [py, px] = detail::kernel_projections(kernel);
    const auto wy = detail::taper_weights(py, h), wx = detail::taper_weights(px, w);
    const std::size_t wc = w / 2 + 1;
    auto fwd = fft::plan<T>(fft::Kind::r2c, h, w);
    auto inv = fft::plan<T>(fft::Kind::c2r, h, w);
    fft::AlignedBuffer<T> grid(h * w), blurred(h * w);
    fft::AlignedBuffer<std::complex<T>> ks(h * wc), spec(h * wc);
    // Transfer function of the kernel centred at the origin, with the 1/(HW) of the inverse DFT.
    for (std::size_t i = 0; i < kh; ++i)
        for (std::size_t j = 0; j < kw; ++j)
            grid[((i + h - kh / 2) % h) * w + (j + w - kw / 2) % w] += kernel(i, j);
    fwd->r2c(grid.data(), ks.data());
    const T norm = T(1) / T(h * w);
    for (auto& c : ks) c *= norm;
    xt::xtensor<T, Rank> out(v.shape());
    const std::size_t plane = h * w;
    for (std::size_t c = 0; c < channel_count(s); ++c) {
        std::copy(v.data() + c * plane, v.data() + (c + 1) * plane, grid.data());
        fwd->r2c(grid.data(), spec.data());
        for (std::size_t i = 0; i < h * wc; ++i) spec[i] *= ks[i];
        inv->c2r(spec.data(), blurred.data());
        detail::taper_blend(grid.data(), blurred.data(), h, w, wy, wx);
        std::copy(grid.data(), grid.data() + plane, out.data() + c * plane);
    }
    return out;
}

}  // namespace lucid::polyblur
