#pragma once
/// \file gaussian_denoiser.hpp
/// Gaussian smoothing: the linear baseline every denoiser should beat.

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

    void validate() const {
        constexpr const char* where = "lucid::denoisers::GaussianDenoiserParams";
        require(std::isfinite(width) && width >= 0, where, "width", "finite and >= 0 (0 = from sigma)", width);
        require_nonnegative(where, "width_offset", width_offset);
        require_nonnegative(where, "width_per_sigma", width_per_sigma);
        require_positive(where, "truncate", truncate);
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
        const auto hw = plane_shape(Shape<Rank>(shape_of(y)));
        const std::size_t h = hw[0], w = hw[1], plane = h * w, c = channel_count(Shape<Rank>(shape_of(y)));
        const std::ptrdiff_t rad = std::ptrdiff_t(params_.truncate * s + 0.5);
        taps_.assign(std::size_t(2 * rad + 1), 0.0);
        double total = 0;
        for (std::ptrdiff_t t = -rad; t <= rad; ++t) total += taps_[std::size_t(t + rad)] = std::exp(-0.5 * double(t * t) / (s * s));
        for (auto& v : taps_) v /= total;
        tmp_.resize(plane);
        line_.resize(std::max(h, w) + std::size_t(2 * rad));
        for (std::size_t k = 0; k < c; ++k) {
            const T* src = y.data() + k * plane;
            T* dst = out.data() + k * plane;
            for (std::size_t i = 0; i < h; ++i) filter_line(src + i * w, 1, w, tmp_.data() + i * w, 1, rad);  // rows
            for (std::size_t j = 0; j < w; ++j) filter_line(tmp_.data() + j, w, h, dst + j, w, rad);            // columns
        }
    }

private:
    void filter_line(const T* in, std::size_t stride, std::size_t n, T* out, std::size_t ostride, std::ptrdiff_t rad) const {
        const std::ptrdiff_t N = std::ptrdiff_t(n), period = 2 * N;
        for (std::ptrdiff_t i = -rad; i < N + rad; ++i) {
            std::ptrdiff_t m = i % period;
            if (m < 0) m += period;
            if (m >= N) m = period - 1 - m;
            line_[std::size_t(i + rad)] = double(in[std::size_t(m) * stride]);
        }
        for (std::ptrdiff_t i = 0; i < N; ++i) {
            double acc = 0;
            const double* l = line_.data() + i;
            for (std::size_t t = 0; t < taps_.size(); ++t) acc += taps_[t] * l[t];
            out[std::size_t(i) * ostride] = T(acc);
        }
    }

    GaussianDenoiserParams params_;
    mutable std::vector<double> taps_, line_;
    mutable std::vector<T> tmp_;
};

}  // namespace lucid::denoisers
