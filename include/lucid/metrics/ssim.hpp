#pragma once
/// \file ssim.hpp
/// Structural similarity (Wang, Bovik, Sheikh, Simoncelli 2004) with the exact
/// conventions of scikit-image 0.19 `structural_similarity`.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <string_view>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/threading.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/metrics/mse.hpp"

namespace lucid::metrics {

/// Local weighting window of SSIM.
enum class SsimWindow {
    gaussian,  ///< normalized Gaussian, σ = `sigma`, radius ⌊truncate·σ + ½⌋ (scipy.ndimage.gaussian_filter)
    uniform,   ///< win_size × win_size box (scipy.ndimage.uniform_filter)
};

/// Parameters of `ssim` / `ssim_map`. The defaults are Wang et al. 2004 and
/// skimage `structural_similarity(gaussian_weights=True, sigma=1.5,
/// use_sample_covariance=False, data_range=1)`: an 11×11 Gaussian window.
/// For skimage's own defaults (7×7 box, sample covariance) use
/// `{.window = SsimWindow::uniform, .win_size = 7, .sample_covariance = true}`.
struct SsimOptions {
    SsimWindow window = SsimWindow::gaussian;
    double sigma = 1.5;             ///< Gaussian standard deviation (gaussian window)
    double truncate = 3.5;          ///< Gaussian radius = ⌊truncate·σ + ½⌋ (3.5 in skimage)
    std::size_t win_size = 7;       ///< box side, odd >= 3 (uniform window only)
    bool sample_covariance = false; ///< scale (co)variances by N/(N−1), N = win_size²
    double k1 = 0.01;               ///< C1 = (k1·R)²
    double k2 = 0.03;               ///< C2 = (k2·R)²
    double data_range = 1.0;        ///< R, the dynamic range of the images

    /// Window radius r; the window is (2r+1)×(2r+1).
    std::size_t radius() const {
        if (window == SsimWindow::uniform) return win_size / 2;
        return std::size_t(truncate * sigma + 0.5);
    }
    /// Window side 2r + 1 (11 for the defaults).
    std::size_t window_size() const { return 2 * radius() + 1; }

    /// Throws unless every parameter is in range (message names the field).
    void validate(std::string_view where = "lucid::metrics::SsimOptions") const {
        require_positive(where, "options.data_range", data_range);
        require_positive(where, "options.k1", k1);
        require_positive(where, "options.k2", k2);
        if (window == SsimWindow::gaussian) {
            require_positive(where, "options.sigma", sigma);
            require_positive(where, "options.truncate", truncate);
            require(truncate * sigma + 0.5 >= 1.0 && truncate * sigma < 1e6, where, "options.truncate",
                    "such that the radius round(truncate·sigma) is in 1..10^6",
                    lucid::detail::concat("truncate·sigma = ", truncate * sigma));
        } else {
            require(win_size >= 3 && win_size % 2 == 1, where, "options.win_size", "odd and >= 3", win_size);
        }
    }
};

/// Mean SSIM and the full SSIM map (same shape as the input; for stacks one map per channel).
template <class T, std::size_t N>
struct SsimResult {
    double mean = 0;
    xt::xtensor<T, N> map;
};

namespace detail {

/// Normalized 1-D window taps w[0 … 2r] (w[k] for offset k − r).
inline std::vector<double> ssim_taps(const SsimOptions& o) {
    const std::size_t r = o.radius();
    std::vector<double> w(2 * r + 1);
    if (o.window == SsimWindow::uniform) {
        std::fill(w.begin(), w.end(), 1.0 / double(w.size()));
        return w;
    }
    // scipy.ndimage._gaussian_kernel1d: exp(-x²/(2σ²)) / Σ
    double sum = 0;
    for (std::size_t k = 0; k < w.size(); ++k) {
        const double x = double(k) - double(r);
        w[k] = std::exp(-0.5 / (o.sigma * o.sigma) * x * x);
        sum += w[k];
    }
    for (auto& v : w) v /= sum;
    return w;
}

/// scipy.ndimage 'reflect' (half-sample symmetric) for −n <= i < 2n.
constexpr std::ptrdiff_t reflect(std::ptrdiff_t i, std::ptrdiff_t n) {
    if (i < 0) return -i - 1;
    if (i >= n) return 2 * n - i - 1;
    return i;
}

/// a/b, with 0/0 read as its limit 1 (both SSIM factors → 1 as their constants → 0⁺ on a
/// window where the images agree).
inline double ssim_factor(double a, double b) { return b != 0 ? a / b : a == 0 ? 1.0 : a / b; }

/// SSIM of one H×W plane: writes the map (if `map`) and returns the sum of
/// the map over the rows/columns [r, H−r) × [r, W−r).
///
/// Separable filtering of the five moments x, y, x², y², xy in one sweep:
/// each source row is filtered horizontally once into a ring of 2r+1 rows,
/// and each output row combines the ring vertically and evaluates SSIM at
/// once, so the working set is (2r+1) rows instead of five full images.
/// Arithmetic is in double for float and double input alike (σ² = E[x²] − μ²
/// cancels badly in float: errors ~1e-4 on flat regions). Rows are split into
/// bands, one per thread; every row is computed identically whatever the
/// split, so the result does not depend on the number of threads.
template <class T>
double ssim_plane(const T* x, const T* y, std::size_t height, std::size_t width, const SsimOptions& o, T* map) {
    using A = double;
    const std::vector<A> taps = ssim_taps(o);
    const std::ptrdiff_t H = std::ptrdiff_t(height), W = std::ptrdiff_t(width);
    const std::ptrdiff_t r = std::ptrdiff_t(o.radius()), L = 2 * r + 1, Wp = W + 2 * r;
    const A np = A(L) * A(L);
    const A cov = o.sample_covariance ? np / (np - 1) : A(1);
    const A C1 = (o.k1 * o.data_range) * (o.k1 * o.data_range);
    const A C2 = (o.k2 * o.data_range) * (o.k2 * o.data_range);
    const A wc = taps[std::size_t(r)];

    std::vector<double> row_sum(height, 0.0);
    const int threads = std::max(1, num_threads());
    const std::ptrdiff_t band = std::max<std::ptrdiff_t>(L, (H + threads - 1) / threads);
    const std::ptrdiff_t bands = (H + band - 1) / band;

    parallel_for(0, bands, [&](std::ptrdiff_t b) {
        const std::ptrdiff_t i0 = b * band, i1 = std::min(H, i0 + band);
        std::vector<A> pad(std::size_t(5 * Wp));               // reflect-padded moment rows
        std::vector<A> ring(std::size_t(5 * L * W));           // horizontally filtered rows
        std::vector<std::ptrdiff_t> ring_row(std::size_t(L), -1);
        std::vector<A> acc(std::size_t(5 * W));                // vertically filtered moments of one row
        std::vector<A> srow(static_cast<std::size_t>(W));                 // SSIM of one row
        const std::size_t q_stride = std::size_t(L * W);

        auto filter_row = [&](std::ptrdiff_t src) {
            const std::size_t slot = std::size_t(src % L);
            if (ring_row[slot] == src) return;
            ring_row[slot] = src;
            const T* xr = x + src * W;
            const T* yr = y + src * W;
            A* p0 = pad.data();
            A* p1 = p0 + Wp;
            A* p2 = p1 + Wp;
            A* p3 = p2 + Wp;
            A* p4 = p3 + Wp;
            for (std::ptrdiff_t j = 0; j < Wp; ++j) {
                const std::ptrdiff_t s = reflect(j - r, W);
                const A a = A(xr[s]), c = A(yr[s]);
                p0[j] = a;
                p1[j] = c;
                p2[j] = a * a;
                p3[j] = c * c;
                p4[j] = a * c;
            }
            for (int q = 0; q < 5; ++q) {
                const A* p = pad.data() + q * Wp;
                A* __restrict out = ring.data() + std::size_t(q) * q_stride + slot * std::size_t(W);
                for (std::ptrdiff_t j = 0; j < W; ++j) out[j] = wc * p[j + r];
                for (std::ptrdiff_t d = 1; d <= r; ++d) {  // centre outwards, as scipy's symmetric correlate1d
                    const A wd = taps[std::size_t(r + d)];
                    const A* lo = p + r - d;
                    const A* hi = p + r + d;
                    for (std::ptrdiff_t j = 0; j < W; ++j) out[j] += (lo[j] + hi[j]) * wd;
                }
            }
        };

        for (std::ptrdiff_t i = i0; i < i1; ++i) {
            for (std::ptrdiff_t k = -r; k <= r; ++k) filter_row(reflect(i + k, H));
            for (int q = 0; q < 5; ++q) {
                const A* base = ring.data() + std::size_t(q) * q_stride;
                auto row = [&](std::ptrdiff_t k) { return base + std::size_t(reflect(i + k, H) % L) * std::size_t(W); };
                A* __restrict out = acc.data() + q * W;
                const A* c = row(0);
                for (std::ptrdiff_t j = 0; j < W; ++j) out[j] = wc * c[j];
                for (std::ptrdiff_t d = 1; d <= r; ++d) {
                    const A wd = taps[std::size_t(r + d)];
                    const A* lo = row(-d);
                    const A* hi = row(d);
                    for (std::ptrdiff_t j = 0; j < W; ++j) out[j] += (lo[j] + hi[j]) * wd;
                }
            }
            const A* ux = acc.data();
            const A* uy = ux + W;
            const A* uxx = uy + W;
            const A* uyy = uxx + W;
            const A* uxy = uyy + W;
            A* __restrict sv = srow.data();
            for (std::ptrdiff_t j = 0; j < W; ++j) {
                // the operations of skimage's structural_similarity, in its order
                const A vx = cov * (uxx[j] - ux[j] * ux[j]);
                const A vy = cov * (uyy[j] - uy[j] * uy[j]);
                const A vxy = cov * (uxy[j] - ux[j] * uy[j]);
                const A a1 = A(2) * ux[j] * uy[j] + C1;
                const A a2 = A(2) * vxy + C2;
                const A b1 = ux[j] * ux[j] + uy[j] * uy[j] + C1;
                const A b2 = vx + vy + C2;
                const A den = b1 * b2;
                // den = 0 only when C1 or C2 underflowed (data_range ≪ the values): on a flat
                // or zero window each factor is then 0/0, whose limit as C → 0⁺ is 1
                sv[j] = den != 0 ? (a1 * a2) / den : ssim_factor(a1, b1) * ssim_factor(a2, b2);
            }
            if (map) {
                T* m = map + i * W;
                for (std::ptrdiff_t j = 0; j < W; ++j) m[j] = T(sv[j]);
            }
            if (i >= r && i < H - r) {
                double s = 0;
                for (std::ptrdiff_t j = r; j < W - r; ++j) s += sv[j];
                row_sum[std::size_t(i)] = s;
            }
        }
    }, 2);

    double total = 0;
    for (double s : row_sum) total += s;
    return total;
}

template <class T, std::size_t N>
SsimResult<T, N> ssim_impl(std::string_view where, const xt::xtensor<T, N>& ref, const xt::xtensor<T, N>& img,
                           const SsimOptions& o, bool want_map) {
    o.validate(where);
    require_comparable(where, ref, img);
    Shape<N> shape;
    std::copy(ref.shape().begin(), ref.shape().end(), shape.begin());
    const auto [h, w] = plane_shape(shape);
    const std::size_t channels = channel_count(shape);
    const std::size_t win = o.window_size();
    if (h < win || w < win)
        lucid::detail::fail_argument<ShapeError>(
            where, "ref", lucid::detail::concat("at least ", win, "x", win, " pixels per channel (the SSIM window)"),
            shape_string(shape));
    // SSIM is invariant under x, y, R ↦ s·x, s·y, s·R (C1, C2, σ² scale by s², μ by s; the
    // ratio by s⁴/s⁴). Far from 1 in magnitude, the squared moments would overflow (∞/∞ = NaN)
    // or underflow (0/0); a power-of-two s brings the largest of |x|, |y|, R to [½, 1) exactly.
    const double peak = std::max({double(norm_inf(ref)), double(norm_inf(img)), o.data_range});
    constexpr double safe_lo = 0x1p-200, safe_hi = 0x1p200;  // products of four moments stay finite and normal
    if (peak < safe_lo || peak > safe_hi) {
        int e = 0;
        std::frexp(peak, &e);
        xt::xtensor<T, N> ref_s = ref, img_s = img;
        for (auto& v : ref_s) v = std::ldexp(v, -e);
        for (auto& v : img_s) v = std::ldexp(v, -e);
        SsimOptions scaled = o;
        scaled.data_range = std::ldexp(o.data_range, -e);
        return ssim_impl(where, ref_s, img_s, scaled, want_map);
    }
    SsimResult<T, N> result;
    if (want_map) result.map = xt::xtensor<T, N>(shape);
    const std::size_t r = o.radius();
    const double cropped = double(h - 2 * r) * double(w - 2 * r);
    double total = 0;
    for (std::size_t c = 0; c < channels; ++c) {
        const std::size_t off = c * h * w;
        const double sum = ssim_plane(ref.data() + off, img.data() + off, h, w, o,
                                      want_map ? result.map.data() + off : static_cast<T*>(nullptr));
        total += sum / cropped;  // per-channel mean, as skimage
    }
    result.mean = total / double(channels);
    return result;
}

}  // namespace detail

/// Mean structural similarity of two H×W images:
/// \f[
///   \mathrm{SSIM}(x, y) = \frac{(2\mu_x\mu_y + C_1)(2\sigma_{xy} + C_2)}
///                              {(\mu_x^2 + \mu_y^2 + C_1)(\sigma_x^2 + \sigma_y^2 + C_2)},
///   \quad C_1 = (K_1 R)^2,\ C_2 = (K_2 R)^2,
/// \f]
/// with local means μ = w ∗ x, (co)variances σ_xy = w ∗ (xy) − μ_x μ_y from
/// the separable window w (Gaussian σ = 1.5, 11×11 by default), filtered with
/// scipy.ndimage 'reflect' boundaries, then averaged over the pixels at least
/// r = (win − 1)/2 from the border — exactly skimage 0.19
/// `structural_similarity(ref, img, gaussian_weights=True, sigma=1.5,
/// use_sample_covariance=False, data_range=1)` for the defaults.
/// Wang, Bovik, Sheikh, Simoncelli, "Image quality assessment: from error
/// visibility to structural similarity", IEEE TIP 13(4), 2004, eq. (13).
///
/// Throws ShapeError if the shapes differ (naming 'img') or an image is
/// smaller than the window (naming 'ref'), Error for non-finite values or bad options.
/// Symmetric in its arguments; 1 for identical images.
///
/// Example: `double s = lucid::metrics::ssim(truth, restored);`
template <std::floating_point T>
double ssim(const Image<T>& ref, const Image<T>& img, const SsimOptions& options = {}) {
    return detail::ssim_impl("lucid::metrics::ssim", ref, img, options, false).mean;
}

/// Mean SSIM of C×H×W stacks: the mean over channels of each channel's mean
/// SSIM (skimage's channel_axis convention).
template <std::floating_point T>
double ssim(const ImageStack<T>& ref, const ImageStack<T>& img, const SsimOptions& options = {}) {
    return detail::ssim_impl("lucid::metrics::ssim", ref, img, options, false).mean;
}

/// Mean SSIM and the full H×W SSIM map (skimage's `full=True` S, uncropped).
template <std::floating_point T>
SsimResult<T, 2> ssim_map(const Image<T>& ref, const Image<T>& img, const SsimOptions& options = {}) {
    return detail::ssim_impl("lucid::metrics::ssim_map", ref, img, options, true);
}

/// Mean SSIM and the C×H×W map of per-channel SSIM maps.
template <std::floating_point T>
SsimResult<T, 3> ssim_map(const ImageStack<T>& ref, const ImageStack<T>& img, const SsimOptions& options = {}) {
    return detail::ssim_impl("lucid::metrics::ssim_map", ref, img, options, true);
}

}  // namespace lucid::metrics
