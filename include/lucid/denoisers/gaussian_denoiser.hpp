#pragma once
/// \file gaussian_denoiser.hpp
/// Gaussian smoothing: the linear baseline every denoiser should beat.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/denoisers/denoiser.hpp"

namespace lucid::denoisers {

/// Parameters of GaussianDenoiser.
struct GaussianDenoiserParams {
    /// Fixed filter standard deviation in pixels (> 0); 0 = width_offset + width_per_sigma·σ.
    double width = 0;
    /// Default rule s = 0.3 + 5.5σ: a fit of the PSNR-optimal width for
    /// σ ∈ {0.05, 0.1, 0.2} on data/camera.png (0.6, 0.85, 1.45 px) with
    /// scipy.ndimage.gaussian_filter. A heuristic for natural images.
    double width_offset = 0.3;
    double width_per_sigma = 5.5;
    double truncate = 4.0;  ///< kernel radius = round(truncate·s) (scipy's default)

    /// Largest kernel radius round(truncate·s), pixels. Radii beyond the image are
    /// exact (the taps are folded onto one reflection period), but building the
    /// taps costs O(radius), and the radius must fit the integer cast.
    static constexpr double max_radius = 1 << 20;

    void validate() const {
        constexpr const char* where = "lucid::denoisers::GaussianDenoiserParams";
        require(std::isfinite(width) && width >= 0, where, "width", "finite and >= 0 (0 = from sigma)", width);
        require_nonnegative(where, "width_offset", width_offset);
        require_nonnegative(where, "width_per_sigma", width_per_sigma);
        require_positive(where, "truncate", truncate);
        const double fixed = width > 0 ? width : width_offset;  // the σ-independent part of s
        if (!(truncate * fixed <= max_radius))
            lucid::detail::fail_argument(where, width > 0 ? "width" : "width_offset",
                                         lucid::detail::concat("<= ", max_radius / truncate, " (a kernel radius truncate·s <= ",
                                                        max_radius, " pixels, truncate = ", truncate, ")"),
                                         fixed);
    }
};

/// Separable Gaussian filter with half-sample symmetric boundary
/// (scipy.ndimage.gaussian_filter(y, s, mode='reflect', truncate=4)):
/// \f$ \hat x = g_s * y, \; g_s(t) \propto e^{-t^2/(2s^2)}, |t| \le \mathrm{round}(4s) \f$.
/// s from `params` (fixed or a function of σ). Per channel for stacks.
template <class T>
class GaussianDenoiser {
public:
    using scalar_type = T;

    explicit GaussianDenoiser(GaussianDenoiserParams params = {}) : params_(params) { params_.validate(); }

    const GaussianDenoiserParams& params() const { return params_; }
    /// Filter width s (pixels) for noise level σ.
    double width_for(double sigma) const {
        return params_.width > 0 ? params_.width : params_.width_offset + params_.width_per_sigma * sigma;
    }

    /// out = g_s * y (out may alias y).
    template <std::size_t Rank>
    void denoise(const xt::xtensor<T, Rank>& y, T sigma, xt::xtensor<T, Rank>& out) const {
        static_assert(Rank == 2 || Rank == 3, "GaussianDenoiser acts on H×W images or C×H×W stacks");
        constexpr const char* where = "lucid::denoisers::GaussianDenoiser::denoise";
        require_positive(where, "sigma", sigma);
        require_finite_image(where, "y", y);
        require_shape(where, "out", shape_of(out), shape_of(y));
        const double s = width_for(double(sigma));
        require(s > 0, where, "sigma", "a value giving a positive filter width", sigma);
        if (!(params_.truncate * s <= GaussianDenoiserParams::max_radius)) {
            // only the σ-dependent part can be too wide here (validate() bounds the rest)
            const double largest = (GaussianDenoiserParams::max_radius / params_.truncate - params_.width_offset) /
                                   params_.width_per_sigma;
            lucid::detail::fail_argument(
                where, "sigma",
                lucid::detail::concat("<= ", largest, " (a filter width s = width_offset + width_per_sigma·sigma "
                                      "with a kernel radius truncate·s <= ", GaussianDenoiserParams::max_radius,
                                      " pixels)"),
                sigma);
        }
        const auto hw = plane_shape(Shape<Rank>(shape_of(y)));
        const std::size_t h = hw[0], w = hw[1], plane = h * w, c = channel_count(Shape<Rank>(shape_of(y)));
        const std::ptrdiff_t rad = std::ptrdiff_t(params_.truncate * s + 0.5);
        make_taps(rad, s, w, row_taps_);
        make_taps(rad, s, h, col_taps_);
        tmp_.resize(plane);
        line_.resize(std::max(h, w) + std::max(row_taps_.g.size(), col_taps_.g.size()));
        for (std::size_t k = 0; k < c; ++k) {
            const T* src = y.data() + k * plane;
            T* dst = out.data() + k * plane;
            for (std::size_t i = 0; i < h; ++i) filter_line(src + i * w, 1, w, tmp_.data() + i * w, 1, row_taps_);  // rows
            for (std::size_t j = 0; j < w; ++j) filter_line(tmp_.data() + j, w, h, dst + j, w, col_taps_);            // columns
        }
    }

private:
    struct Taps {
        std::vector<double> g;     // out[i] = Σ_t g[t]·ext[i − offset + t], ext the reflected line
        std::ptrdiff_t offset = 0;
    };

    /// Normalized taps of radius `rad` for lines of length n. The half-sample
    /// reflection of a line is 2n-periodic, so when the kernel is longer than
    /// 2n its taps are folded (summed modulo 2n) onto one period: the same sum,
    /// with O(n) memory and cost per pixel instead of O(rad).
    static void make_taps(std::ptrdiff_t rad, double s, std::size_t n, Taps& taps) {
        const std::ptrdiff_t period = 2 * std::ptrdiff_t(n);
        const bool fold = 2 * rad + 1 > period;
        taps.offset = fold ? 0 : rad;
        taps.g.assign(fold ? std::size_t(period) : std::size_t(2 * rad + 1), 0.0);
        double total = 0;
        for (std::ptrdiff_t t = -rad; t <= rad; ++t) {
            // t = 0 is 1 exactly: written out, since s² may underflow (0/0 = NaN for widths < 1e-154)
            const double v = t == 0 ? 1.0 : std::exp(-0.5 * double(t * t) / (s * s));
            std::ptrdiff_t u = t + rad;
            if (fold) {
                u = t % period;
                if (u < 0) u += period;
            }
            taps.g[std::size_t(u)] += v;
            total += v;
        }
        for (auto& v : taps.g) v /= total;
    }

    void filter_line(const T* in, std::size_t stride, std::size_t n, T* out, std::size_t ostride, const Taps& taps) const {
        const std::ptrdiff_t N = std::ptrdiff_t(n), period = 2 * N, off = taps.offset;
        const std::ptrdiff_t len = N + std::ptrdiff_t(taps.g.size()) - 1;
        for (std::ptrdiff_t i = 0; i < len; ++i) {
            std::ptrdiff_t m = (i - off) % period;
            if (m < 0) m += period;
            if (m >= N) m = period - 1 - m;
            line_[std::size_t(i)] = double(in[std::size_t(m) * stride]);
        }
        for (std::ptrdiff_t i = 0; i < N; ++i) {
            double acc = 0;
            const double* l = line_.data() + i;
            for (std::size_t t = 0; t < taps.g.size(); ++t) acc += taps.g[t] * l[t];
            out[std::size_t(i) * ostride] = T(acc);
        }
    }

    GaussianDenoiserParams params_;
    mutable Taps row_taps_, col_taps_;
    mutable std::vector<double> line_;
    mutable std::vector<T> tmp_;
};

}  // namespace lucid::denoisers
