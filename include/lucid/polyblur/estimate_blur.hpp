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
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/polyblur/detail.hpp"
#include "lucid/polyblur/gaussian_blur.hpp"
#include "lucid/polyblur/options.hpp"
#include "lucid/polyblur/spectral_gradient.hpp"
#include "lucid/polyblur/spectrum_direction.hpp"

namespace lucid::polyblur {

/// What `estimate_blur_details` measured on the way to the estimate.
struct BlurEstimation {
    GaussianBlur blur;                        ///< the estimate (σ0 along θ, σ1 across)
    std::vector<double> directional_maxima;   ///< f_j = max |∂_{a_j} g|, a_j = jπ/n_angles, j = 0..n_angles
    std::vector<double> interpolated_maxima;  ///< F_i at θ_i = iπ/n_interpolated_angles (Keys cubic)
    double f_theta = 0;                       ///< F at θ (the minimum of F under DirectionRule::argmin)
    double f_perpendicular = 0;               ///< F at θ + π/2
    double low = 0;                           ///< gray level mapped to 0 (q-quantile)
    double high = 0;                          ///< gray level mapped to 1 ((1−q)-quantile)
    bool constant = false;                    ///< true when high == low: no measurable blur
    /// The rule that produced θ: options.direction, except that power_spectrum
    /// falls back to sinusoid_fit when its fit is not determined.
    DirectionRule direction_rule = DirectionRule::argmin;
    /// Σxx, Σxy, Σyy (px², x right, y up) fitted by DirectionRule::power_spectrum;
    /// zeros when that fit did not run. Includes the camera's own blur.
    std::array<double, 3> spectrum_covariance{};
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

/// θ ∈ [0, π) by the `DirectionRule::sinusoid_fit` rule.
///
/// Model: for a Gaussian blur with std σ0 along θ and σ1 across, the blur
/// variance along a unit direction a is the quadratic form
///   σ²(a) = σ0² cos²(a − θ) + σ1² sin²(a − θ) = m + r·cos 2(a − θ)
///         = m + p·cos 2a + q·sin 2a,
/// m = (σ0² + σ1²)/2, r = (σ0² − σ1²)/2, p = r cos 2θ, q = r sin 2θ; and
/// §2.7 reads σ²(a_j) off the maxima as y_j = c²/f_j² − b². The least-squares
/// fit over the n = n_angles distinct directions a_j = jπ/n, j = 0..n−1 (a_n
/// is a_0 again: |∂_{a_n} g| = |∂_{a_0} g|, so it is left out rather than
/// counted twice) has a closed form, because the angles 2a_j are equally
/// spaced around the circle (n >= 3: the cos 2a, sin 2a columns are
/// orthogonal, with squared norm n/2, and orthogonal to the constant):
///   m = (1/n) Σ y_j,  p = (2/n) Σ y_j cos 2a_j,  q = (2/n) Σ y_j sin 2a_j,
///   θ = ½·atan2(q, p) mod π.
/// y_j is capped at sigma_max² (f_j = 0, a direction with no gradient at all,
/// would otherwise give an infinite sample). Below that cap θ depends on the
/// y_j only through an increasing affine map of 1/f_j², so it does not depend
/// on c or b. If √(p² + q²) is at rounding level (at most 1e-12·Σ|y_j|: all
/// directions equally sharp, e.g. equal f_j), θ = 0, like argmin on a flat F.
inline double sinusoid_fit_direction(const std::vector<double>& f, const EstimateOptions& o) {
    const std::size_t n = std::size_t(o.n_angles);
    double p = 0, q = 0, size = 0;
    for (std::size_t j = 0; j < n; ++j) {
        const double y = f[j] > 0 ? std::min(o.c * o.c / (f[j] * f[j]) - o.b * o.b, o.sigma_max * o.sigma_max)
                                  : o.sigma_max * o.sigma_max;
        const double a2 = 2 * std::numbers::pi * double(j) / double(n);  // 2·a_j
        p += y * std::cos(a2);
        q += y * std::sin(a2);
        size += std::abs(y);
    }
    // The common factor 2/n does not change atan2; m is not needed for θ.
    // Without the threshold, atan2 of rounding errors would pick a random θ.
    if (std::hypot(p, q) <= 1e-12 * size) return 0.0;
    double theta = 0.5 * std::atan2(q, p);  // in (−π/2, π/2]
    if (theta < 0) theta += std::numbers::pi;
    return theta < std::numbers::pi ? theta : 0.0;
}

/// Steps 5–7 of §2: interpolation to n_interpolated_angles, direction (argmin
/// of the interpolation, the sinusoid fit, or `spectrum_theta` when the
/// power-spectrum fit gave one), model.
inline void finish_estimation(BlurEstimation& e, const EstimateOptions& o,
                              std::optional<double> spectrum_theta = std::nullopt) {
    const double step = std::numbers::pi / double(o.n_angles);  // sample spacing in radians
    const int n = o.n_interpolated_angles;
    e.interpolated_maxima.assign(std::size_t(n), 0.0);
    std::size_t imin = 0;
    for (int i = 0; i < n; ++i) {
        const double theta = std::numbers::pi * double(i) / double(n);
        e.interpolated_maxima[std::size_t(i)] = keys_interpolate(e.directional_maxima, theta / step);
        if (e.interpolated_maxima[std::size_t(i)] < e.interpolated_maxima[imin]) imin = std::size_t(i);
    }
    double theta = std::numbers::pi * double(imin) / double(n);
    e.f_theta = e.interpolated_maxima[imin];
    e.direction_rule = DirectionRule::argmin;
    if (o.direction != DirectionRule::argmin) {
        // θ off the grid: σ0 still comes from step 7 at the Keys-interpolated
        // F(θ) (measured: σ from the fit itself, √(m ± √(p²+q²)), is no more
        // accurate; docs/polyblur.md), so c, b keep their calibration.
        e.direction_rule = spectrum_theta ? DirectionRule::power_spectrum : DirectionRule::sinusoid_fit;
        theta = spectrum_theta ? *spectrum_theta : sinusoid_fit_direction(e.directional_maxima, o);
        e.f_theta = keys_interpolate(e.directional_maxima, theta / step);
    }
    const double perpendicular = std::fmod(theta + std::numbers::pi / 2, std::numbers::pi);
    e.f_perpendicular = keys_interpolate(e.directional_maxima, perpendicular / step);
    e.blur = GaussianBlur{sigma_from_maximum(e.f_theta, o), sigma_from_maximum(e.f_perpendicular, o), theta};
}

/// Largest |c_j·gx − s_j·gy| over n pixels for each direction j < NA,
/// folded into m[0..NA). One vector accumulator per direction.
template <std::size_t NA, class T>
LUCID_POLYBLUR_INLINE void directional_maxima_kernel(const T* gx, const T* gy, std::size_t n, const T* c,
                                                     const T* s, T* m) {
    std::size_t i = 0;
#if LUCID_POLYBLUR_VECTORS
    using V = typename Simd<T>::type;
    constexpr std::size_t L = Simd<T>::lanes;
    if (n >= L) {
        V acc[NA], cv[NA], sv[NA];
        const V zero = {};
        for (std::size_t j = 0; j < NA; ++j) {
            acc[j] = zero;
            cv[j] = zero + c[j];
            sv[j] = zero + s[j];
        }
        for (; i + L <= n; i += L) {
            V x, y;
            vload(x, gx + i);
            vload(y, gy + i);
            for (std::size_t j = 0; j < NA; ++j) {
                V d = cv[j] * x - sv[j] * y;
                d = d < zero ? -d : d;
                acc[j] = acc[j] > d ? acc[j] : d;
            }
        }
        for (std::size_t j = 0; j < NA; ++j)
            for (std::size_t l = 0; l < L; ++l) m[j] = std::max(m[j], acc[j][l]);
    }
#endif
    for (; i < n; ++i)
        for (std::size_t j = 0; j < NA; ++j) m[j] = std::max(m[j], std::abs(c[j] * gx[i] - s[j] * gy[i]));
}

#if LUCID_POLYBLUR_AVX2
template <std::size_t NA, class T>
LUCID_POLYBLUR_TARGET_AVX2 void directional_maxima_avx2(const T* gx, const T* gy, std::size_t n, const T* c,
                                                        const T* s, T* m) {
    directional_maxima_kernel<NA>(gx, gy, n, c, s, m);
}
#endif

template <std::size_t NA, class T>
void directional_maxima_baseline(const T* gx, const T* gy, std::size_t n, const T* c, const T* s, T* m) {
    directional_maxima_kernel<NA>(gx, gy, n, c, s, m);
}

/// m[j] = max(m[j], max_i |c_j gx_i − s_j gy_i|) for j < na. Directions are
/// processed in groups of at most 7 so the accumulators stay in registers.
template <class T>
void directional_maxima(const T* gx, const T* gy, std::size_t n, const T* c, const T* s, std::size_t na, T* m) {
    for (std::size_t j = 0; j < na; j += 7) {
        const std::size_t k = std::min<std::size_t>(7, na - j);
        auto run = [&](auto group) {
            constexpr std::size_t G = decltype(group)::value;
#if LUCID_POLYBLUR_AVX2
            if (has_avx2_fma()) return directional_maxima_avx2<G>(gx, gy, n, c + j, s + j, m + j);
#endif
            directional_maxima_baseline<G>(gx, gy, n, c + j, s + j, m + j);
        };
        switch (k) {
            case 1: run(std::integral_constant<std::size_t, 1>{}); break;
            case 2: run(std::integral_constant<std::size_t, 2>{}); break;
            case 3: run(std::integral_constant<std::size_t, 3>{}); break;
            case 4: run(std::integral_constant<std::size_t, 4>{}); break;
            case 5: run(std::integral_constant<std::size_t, 5>{}); break;
            case 6: run(std::integral_constant<std::size_t, 6>{}); break;
            default: run(std::integral_constant<std::size_t, 7>{}); break;
        }
    }
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

/// gray = (mean of 1 or 3 planes), with its min and max, in one pass.
template <class T>
LUCID_POLYBLUR_INLINE void gray_minmax_kernel(const T* planes, std::size_t channels, std::size_t np, T inv, T* gray,
                                              T& mn_out, T& mx_out) {
    const T* r = planes;
    const T* g = channels == 3 ? planes + np : planes;
    const T* b = channels == 3 ? planes + 2 * np : planes;
    auto value = [&](std::size_t i) { return channels == 3 ? (r[i] + g[i] + b[i]) * inv : r[i]; };
    T mn = value(0), mx = mn;
    std::size_t i = 0;
#if LUCID_POLYBLUR_VECTORS
    using V = typename Simd<T>::type;
    constexpr std::size_t L = Simd<T>::lanes;
    V vmn = V{} + mn, vmx = vmn;
    for (; i + L <= np; i += L) {
        V x;
        vload(x, r + i);
        if (channels == 3) {
            V y, z;
            vload(y, g + i);
            vload(z, b + i);
            x = (x + y + z) * inv;
        }
        vstore(gray + i, x);
        vmn = x < vmn ? x : vmn;
        vmx = x > vmx ? x : vmx;
    }
    for (std::size_t l = 0; l < L; ++l) {
        mn = std::min(mn, vmn[l]);
        mx = std::max(mx, vmx[l]);
    }
#endif
    for (; i < np; ++i) {
        const T x = value(i);
        gray[i] = x;
        mn = std::min(mn, x);
        mx = std::max(mx, x);
    }
    mn_out = mn;
    mx_out = mx;
}

#if LUCID_POLYBLUR_AVX2
template <class T>
LUCID_POLYBLUR_TARGET_AVX2 void gray_minmax_avx2(const T* planes, std::size_t channels, std::size_t np, T inv,
                                                 T* gray, T& mn, T& mx) {
    gray_minmax_kernel(planes, channels, np, inv, gray, mn, mx);
}
#endif

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
        // 1. Gray image: plain mean of the channels (and its extremes, same pass).
        const auto [mn, mx] = gray_mean(planes, channels, np, gray);
        // 2. Range normalization between the q and 1−q quantiles. With q = 0
        //    (min and max) the clip never acts and g ↦ (g − lo)/(hi − lo) is
        //    affine: the gradient just scales by 1/(hi − lo), applied to the
        //    maxima at the end instead of rewriting the image.
        double lo = mn, hi = mx;
        if (o.quantile > 0) {
            std::copy(gray, gray + np, gy);
            lo = quantile_linear(gy, np, o.quantile);
            hi = quantile_linear(gy, np, 1 - o.quantile);
        }
        e.low = lo;
        e.high = hi;
        e.directional_maxima.assign(std::size_t(o.n_angles) + 1, 0.0);
        e.direction_rule = o.direction;
        if (!(hi > lo)) {
            e.constant = true;
            e.interpolated_maxima.assign(std::size_t(o.n_interpolated_angles), 0.0);
            e.blur = GaussianBlur{o.sigma_min, o.sigma_min, 0.0};
            return e;
        }
        double gradient_scale = 1.0 / (hi - lo);
        if (o.quantile > 0) {
            const T tlo = T(lo), scale = T(1.0 / (hi - lo));
            for (std::size_t i = 0; i < np; ++i) gray[i] = std::clamp((gray[i] - tlo) * scale, T(0), T(1));
            gradient_scale = 1.0;
        }
        // 6 (power_spectrum rule). θ from the spectrum's decay, measured on the
        // gray image before the gradient pass reuses the scratch planes.
        std::optional<double> spectrum_theta;
        if (o.direction == DirectionRule::power_spectrum) {
            if (const auto fit = spectrum_.fit(gray, h, w, border)) {
                e.spectrum_covariance = {fit->xx, fit->xy, fit->yy};
                spectrum_theta = fit->theta();
            }
        }
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
            e.directional_maxima[j] = double(m) * gradient_scale;
        }
        // 5–7. Interpolation, direction, calibrated model.
        finish_estimation(e, o, spectrum_theta);
        return e;
    }

private:
    /// gray = mean of the channels; returns its minimum and maximum.
    static std::pair<double, double> gray_mean(const T* planes, std::size_t channels, std::size_t np, T* gray) {
        const T inv = T(1) / T(channels);
        if (channels != 1 && channels != 3) {
            std::copy(planes, planes + np, gray);
            for (std::size_t c = 1; c < channels; ++c) {
                const T* p = planes + c * np;
                for (std::size_t i = 0; i < np; ++i) gray[i] += p[i];
            }
            for (std::size_t i = 0; i < np; ++i) gray[i] *= inv;
            const auto [a, b] = std::minmax_element(gray, gray + np);
            return {double(*a), double(*b)};
        }
        T mn, mx;
#if LUCID_POLYBLUR_AVX2
        if (has_avx2_fma()) {
            gray_minmax_avx2(planes, channels, np, inv, gray, mn, mx);
            return {double(mn), double(mx)};
        }
#endif
        gray_minmax_kernel(planes, channels, np, inv, gray, mn, mx);
        return {double(mn), double(mx)};
    }

    SpectralGradientEngine<T> engine_;
    SpectrumDirection<T> spectrum_;
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
///  6. θ = θ_{argmin F} (options.direction = argmin, the default), the
///     least-squares sinusoid fit of c²/f_j² − b² (sinusoid_fit, see
///     `detail::sinusoid_fit_direction`) or the principal axis of the blur
///     covariance fitted to g's power spectrum (power_spectrum, see
///     spectrum_direction.hpp); f_θ = F(θ), f_⊥ = F(θ + π/2 mod π);
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

/// Steps 5–7 of §2 alone: the estimate from directional maxima
/// f_j = max |∂_{a_j} g|, a_j = jπ/n_angles, j = 0..n_angles (n_angles + 1
/// values, the last one for a = π, i.e. the direction a = 0 again), for
/// instance maxima measured elsewhere or synthesized from a known blur.
/// `directional_maxima` of the result is `f`.
///
/// \throws lucid::Error naming `f` (wrong size, negative or non-finite
///         values) or the invalid option
inline BlurEstimation estimate_from_maxima(const std::vector<double>& f, const EstimateOptions& options = {}) {
    constexpr std::string_view where = "lucid::polyblur::estimate_from_maxima";
    options.validate();
    require(options.direction != DirectionRule::power_spectrum, where, "options.direction",
            "argmin or sinusoid_fit (power_spectrum needs the image: use estimate_blur)", "power_spectrum");
    require(f.size() == std::size_t(options.n_angles) + 1, where, "f", "n_angles + 1 values", f.size());
    for (double v : f) require(std::isfinite(v) && v >= 0, where, "f", "finite values >= 0", v);
    BlurEstimation e;
    e.directional_maxima = f;
    detail::finish_estimation(e, options);
    return e;
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
