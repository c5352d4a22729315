#pragma once
/// \file estimate_blur.hpp
/// Polyblur's blind estimate of a mild Gaussian blur (POLYBLUR.md §2).
///
/// Reference: M. Delbracio, I. Garcia-Dorado, S. Choi, D. Kelly, P. Milanfar,
/// "Polyblur: Removing mild blur by polynomial reblurring", IEEE TCI 2021;
/// T. Eboli, J.-M. Morel, G. Facciolo, "Breaking down Polyblur", IPOL 2022.
///
/// Assumption (the paper's Assumption 1): the sharpest edge of any photo,
/// normalized to [0, 1], has about the same maximal gradient, so the
/// directional maximum f of the gradient of a blurred photo decreases with
/// the blur σ along that direction following σ² = c²/f² − b².

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <string>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/polyblur/detail.hpp"
#include "lucid/polyblur/gaussian_blur.hpp"
#include "lucid/polyblur/options.hpp"
#include "lucid/polyblur/spectral_gradient.hpp"

namespace lucid::polyblur {

/// What `estimate_blur_details` measured on the way to the estimate.
struct BlurEstimation {
    GaussianBlur blur;                        ///< the estimate (σ0 along θ, σ1 across)
    std::vector<double> directional_maxima;   ///< f_j = max |∂_{a_j} g|, a_j = jπ/n_angles, j = 0..n_angles
    std::vector<double> interpolated_maxima;  ///< F_i at θ_i = iπ/n_interpolated_angles (Keys cubic)
    double f_theta = 0;                       ///< F at θ (the minimum)
    double f_perpendicular = 0;               ///< F at θ + π/2
    double low = 0;                           ///< gray level mapped to 0 (q-quantile)
    double high = 0;                          ///< gray level mapped to 1 ((1−q)-quantile)
    bool constant = false;                    ///< true when high == low: no measurable blur
};

namespace detail {

/// Keys' cubic convolution kernel with a = −1/2:
/// w(s) = 1.5|s|³ − 2.5|s|² + 1 for |s| < 1, −0.5|s|³ + 2.5|s|² − 4|s| + 2 for 1 ≤ |s| < 2, 0 beyond.
inline double keys_weight(double s) {
    s = std::abs(s);
    if (s < 1) return (1.5 * s - 2.5) * s * s + 1;
    if (s < 2) return ((-0.5 * s + 2.5) * s - 4) * s + 2;
    return 0;
}

/// Keys interpolation of samples f_0..f_n at position t (in sample units),
/// using only the real samples and dividing by the sum of their weights.
inline double keys_interpolate(const std::vector<double>& f, double t) {
    double num = 0, den = 0;
    for (std::size_t j = 0; j < f.size(); ++j) {
        const double w = keys_weight(t - double(j));
        num += w * f[j];
        den += w;
    }
    return num / den;
}

/// σ from a directional maximum: √clip(c²/f² − b², σmin², σmax²) (f = 0 gives σmax).
inline double sigma_from_maximum(double f, const EstimateOptions& o) {
    const double s2 = f > 0 ? o.c * o.c / (f * f) - o.b * o.b : std::numeric_limits<double>::infinity();
    return std::sqrt(std::clamp(s2, o.sigma_min * o.sigma_min, o.sigma_max * o.sigma_max));
}

/// Steps 5–7 of §2: interpolation to n_interpolated_angles, argmin, model.
inline void finish_estimation(BlurEstimation& e, const EstimateOptions& o) {
    const double step = std::numbers::pi / double(o.n_angles);  // sample spacing in radians
    const int n = o.n_interpolated_angles;
    e.interpolated_maxima.assign(std::size_t(n), 0.0);
    std::size_t imin = 0;
    for (int i = 0; i < n; ++i) {
        const double theta = std::numbers::pi * double(i) / double(n);
        e.interpolated_maxima[std::size_t(i)] = keys_interpolate(e.directional_maxima, theta / step);
        if (e.interpolated_maxima[std::size_t(i)] < e.interpolated_maxima[imin]) imin = std::size_t(i);
    }
    const double theta = std::numbers::pi * double(imin) / double(n);
    const double perpendicular = std::fmod(theta + std::numbers::pi / 2, std::numbers::pi);
    e.f_theta = e.interpolated_maxima[imin];
    e.f_perpendicular = keys_interpolate(e.directional_maxima, perpendicular / step);
    e.blur = GaussianBlur{sigma_from_maximum(e.f_theta, o), sigma_from_maximum(e.f_perpendicular, o), theta};
}

/// Largest |c·gx − s·gy| over n pixels for each of `na` directions, folded
/// into m[0..na). Lanes keep the loop free of a serial dependency.
template <class T>
inline void directional_maxima_portable(const T* gx, const T* gy, std::size_t n, const T* c, const T* s,
                                        std::size_t na, T* m) {
    constexpr std::size_t L = 16;
    for (std::size_t j = 0; j < na; ++j) {
        T lane[L] = {};
        const T cj = c[j], sj = s[j];
        std::size_t i = 0;
        for (; i + L <= n; i += L)
            for (std::size_t l = 0; l < L; ++l) {
                const T d = std::abs(cj * gx[i + l] - sj * gy[i + l]);
                lane[l] = lane[l] < d ? d : lane[l];
            }
        T best = m[j];
        for (std::size_t l = 0; l < L; ++l) best = best < lane[l] ? lane[l] : best;
        for (; i < n; ++i) best = std::max(best, std::abs(cj * gx[i] - sj * gy[i]));
        m[j] = best;
    }
}

#if LUCID_POLYBLUR_AVX2
template <class T>
LUCID_POLYBLUR_TARGET_AVX2 void directional_maxima_avx2(const T* gx, const T* gy, std::size_t n, const T* c,
                                                        const T* s, std::size_t na, T* m) {
    directional_maxima_portable(gx, gy, n, c, s, na, m);
}
#endif

template <class T>
void directional_maxima(const T* gx, const T* gy, std::size_t n, const T* c, const T* s, std::size_t na, T* m) {
#if LUCID_POLYBLUR_AVX2
    if (has_avx2_fma()) return directional_maxima_avx2(gx, gy, n, c, s, na, m);
#endif
    directional_maxima_portable(gx, gy, n, c, s, na, m);
}

/// q-quantile of n values with numpy's default (linear) rule, reordering `work`.
template <class T>
double quantile_linear(T* work, std::size_t n, double q) {
    const double h = q * double(n - 1);
    const std::size_t lo = std::size_t(std::floor(h));
    std::nth_element(work, work + lo, work + n);
    const double a = double(work[lo]);
    if (lo + 1 >= n) return a;
    const double b = double(*std::min_element(work + lo + 1, work + n));
    return a + (h - double(lo)) * (b - a);
}

/// The estimator's scratch: the 1-D FFT engine and per-thread maxima.
/// Two H×W planes (gray, ∂y) are passed in by the caller so that Polyblur can
/// lend them from its own buffers.
template <class T>
class Estimator {
public:
    /// Estimates the blur of C planes of H×W (channel c at planes + c·H·W).
    /// `gray` and `gy` are H×W scratch planes; `gray` ends up holding the
    /// normalized gray image.
    BlurEstimation run(const T* planes, std::size_t channels, std::size_t h, std::size_t w, T* gray, T* gy,
                       const EstimateOptions& o) {
        constexpr std::string_view where = "lucid::polyblur::estimate_blur";
        const std::size_t border = std::size_t(o.border);
        if (h <= 2 * border || w <= 2 * border)
            lucid::detail::fail_argument(where, "image",
                                  lucid::detail::concat("larger than 2*border = ", 2 * border,
                                                 " pixels in both dimensions (options.estimate.border = ", border,
                                                 ")"),
                                  lucid::detail::concat(h, "x", w));
        BlurEstimation e;
        const std::size_t np = h * w;
        // 1. Gray image: plain mean of the channels.
        gray_mean(planes, channels, np, gray);
        // 2. Range normalization between the q and 1−q quantiles.
        double lo, hi;
        if (o.quantile == 0) {
            const auto [mn, mx] = std::minmax_element(gray, gray + np);
            lo = double(*mn);
            hi = double(*mx);
        } else {
            std::copy(gray, gray + np, gy);
            lo = quantile_linear(gy, np, o.quantile);
            hi = quantile_linear(gy, np, 1 - o.quantile);
        }
        e.low = lo;
        e.high = hi;
        e.directional_maxima.assign(std::size_t(o.n_angles) + 1, 0.0);
        if (!(hi > lo)) {
            e.constant = true;
            e.interpolated_maxima.assign(std::size_t(o.n_interpolated_angles), 0.0);
            e.blur = GaussianBlur{o.sigma_min, o.sigma_min, 0.0};
            return e;
        }
        const T tlo = T(lo), scale = T(1.0 / (hi - lo));
        for (std::size_t i = 0; i < np; ++i) gray[i] = std::clamp((gray[i] - tlo) * scale, T(0), T(1));
        // 3. Exact spectral gradients; 4. directional maxima over the interior.
        const int workers = workers_for(std::ptrdiff_t(std::max(h, w) / 32 + 1));
        engine_.prepare(h, w, workers);
        engine_.columns(gray, gy, workers);
        const std::size_t na = std::size_t(o.n_angles) + 1;
        cos_.resize(na);
        sin_.resize(na);
        for (std::size_t j = 0; j < na; ++j) {
            const double a = double(j) * std::numbers::pi / double(o.n_angles);
            cos_[j] = T(std::cos(a));
            sin_[j] = T(std::sin(a));
        }
        maxima_.assign(std::size_t(workers) * na, T(0));
        const std::size_t x0 = border, nx = w - 2 * border;
        engine_.rows(gray, border, h - border, workers, [&](std::size_t y, const T* gx, int t) {
            directional_maxima(gx + x0, gy + y * w + x0, nx, cos_.data(), sin_.data(), na,
                               maxima_.data() + std::size_t(t) * na);
        });
        for (std::size_t j = 0; j < na; ++j) {
            T m = 0;
            for (int t = 0; t < workers; ++t) m = std::max(m, maxima_[std::size_t(t) * na + j]);
            e.directional_maxima[j] = double(m);
        }
        // 5–7. Interpolation, direction, calibrated model.
        finish_estimation(e, o);
        return e;
    }

private:
    static void gray_mean(const T* planes, std::size_t channels, std::size_t np, T* gray) {
        if (channels == 1) {
            std::copy(planes, planes + np, gray);
            return;
        }
        std::copy(planes, planes + np, gray);
        for (std::size_t c = 1; c < channels; ++c) {
            const T* p = planes + c * np;
            for (std::size_t i = 0; i < np; ++i) gray[i] += p[i];
        }
        const T inv = T(1) / T(channels);
        for (std::size_t i = 0; i < np; ++i) gray[i] *= inv;
    }

    SpectralGradientEngine<T> engine_;
    std::vector<T> cos_, sin_, maxima_;
};

template <class T, std::size_t Rank>
void require_polyblur_image(std::string_view where, const xt::xtensor<T, Rank>& image) {
    static_assert(Rank == 2 || Rank == 3, "Polyblur acts on H×W images or C×H×W stacks");
    static_assert(std::is_floating_point_v<T>, "Polyblur images are float or double");
    require_finite_image(where, "image", image);
}

}  // namespace detail

/// Estimates the blur of an image and returns the intermediate measurements
/// (POLYBLUR.md §2, step by step):
///  1. g = mean of the channels;
///  2. g ← clip((g − lo)/(hi − lo), 0, 1) with lo, hi the q and 1−q quantiles
///     (a constant image returns σ0 = σ1 = sigma_min, θ = 0, `constant`);
///  3. g_x, g_y = exact spectral gradient (see `spectral_gradient`);
///  4. f_j = max over the interior (`border` pixels excluded) of
///     |cos(a_j) g_x − sin(a_j) g_y|, a_j = jπ/n_angles, j = 0..n_angles;
///  5. F_i = Keys-cubic interpolation (a = −½, weights normalized by their
///     sum, real samples only) at θ_i = iπ/n_interpolated_angles;
///  6. θ = θ_{argmin F}, f_θ = F(θ), f_⊥ = F(θ + π/2 mod π);
///  7. σ0² = c²/f_θ² − b², σ1² = c²/f_⊥² − b², clipped to [σmin², σmax²].
///
/// \param image H×W image or C×H×W stack with values in [0, 1] (non-empty,
///        finite, larger than 2·border in both dimensions)
/// \param options estimator parameters (validated)
/// \throws lucid::Error naming `image` or the invalid option
template <class T, std::size_t Rank>
BlurEstimation estimate_blur_details(const xt::xtensor<T, Rank>& image, const EstimateOptions& options = {}) {
    constexpr std::string_view where = "lucid::polyblur::estimate_blur";
    options.validate();
    detail::require_polyblur_image(where, image);
    const auto hw = plane_shape(Shape<Rank>(shape_of(image)));
    const std::size_t c = channel_count(Shape<Rank>(shape_of(image)));
    fft::AlignedBuffer<T> gray(hw[0] * hw[1]), gy(hw[0] * hw[1]);
    detail::Estimator<T> estimator;
    return estimator.run(image.data(), c, hw[0], hw[1], gray.data(), gy.data(), options);
}

/// Blind estimate of a mild oriented Gaussian blur (POLYBLUR.md §2):
/// returns {σ0, σ1, θ} with σ0 the standard deviation along the blur
/// direction θ (radians, counter-clockwise in a y-up frame, in [0, π)),
/// σ1 across it, both in [sigma_min, sigma_max] = [0.3, 4] by default.
/// See `estimate_blur_details` for the steps.
///
/// Example:
/// ```
/// auto b = lucid::polyblur::estimate_blur(img);           // img: Image<T> or ImageStack<T>
/// std::printf("%g %g %g°\n", b.sigma0, b.sigma1, b.theta_degrees());
/// ```
template <class T, std::size_t Rank>
GaussianBlur estimate_blur(const xt::xtensor<T, Rank>& image, const EstimateOptions& options = {}) {
    return estimate_blur_details(image, options).blur;
}

}  // namespace lucid::polyblur
