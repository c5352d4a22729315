#pragma once
/// \file wavelet_denoiser.hpp
/// Wavelet shrinkage (soft or hard thresholding of the orthonormal DWT detail
/// coefficients) with cycle spinning.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/denoisers/denoiser.hpp"
#include "lucid/functionals/l1.hpp"
#include "lucid/ops/wavelet2d.hpp"

namespace lucid::denoisers {

/// Thresholding rule: soft (Donoho 1995) or hard (keep-or-kill).
enum class ThresholdMode { soft, hard };

/// Parameters of WaveletDenoiser.
struct WaveletDenoiserParams {
    std::string wavelet = "db4";      ///< any name of ops/wavelet_filters.hpp
    /// Decomposition levels, in [1, 16]; the image is padded to a multiple of
    /// 2^levels, so denoise() also requires 2^levels <= max(16, 2·min(H, W)).
    int levels = 4;
    ThresholdMode mode = ThresholdMode::hard;
    /// Threshold T = factor·σ. Default 3 with hard thresholding, the usual choice
    /// for (translation-invariant) hard thresholding (Mallat, "A Wavelet Tour of
    /// Signal Processing", chapter on denoising); ~1.5 is a usual choice for soft.
    double threshold_factor = 3.0;
    /// Cycle spinning (Coifman & Donoho 1995): average over shifts×shifts circular
    /// shifts (0 … shifts−1 pixels in each direction). 1 = no spinning.
    int shifts = 4;

    void validate() const {
        constexpr const char* where = "lucid::denoisers::WaveletDenoiserParams";
        // 2^16 exceeds twice the short side of any image the reader accepts (2^28 pixels);
        // the cap also keeps the shift 1 << levels defined.
        require(levels >= 1 && levels <= 16, where, "levels", "in [1, 16]", levels);
        require_positive(where, "threshold_factor", threshold_factor);
        require(shifts >= 1 && shifts <= 64, where, "shifts", "in [1, 64]", shifts);
    }
};

/// \f$ \hat x = \frac{1}{|S|}\sum_{s \in S} S_{-s} W^\top \theta_T(W S_s y) \f$: orthonormal
/// periodized DWT W, threshold θ_T (soft or hard) applied to the detail
/// coefficients only (cA_L kept), T = factor·σ, averaged over the circular
/// shifts S_s of cycle spinning. Each channel plane is processed separately;
/// planes whose sides are not multiples of 2^L are first extended by
/// half-sample reflection and cropped back. Transforms are built once per
/// padded size; scratch is reused across calls.
template <class T>
class WaveletDenoiser {
public:
    using scalar_type = T;

    explicit WaveletDenoiser(WaveletDenoiserParams params = {}) : params_(std::move(params)) {
        params_.validate();
        (void)ops::wavelet_filter(params_.wavelet);  // unknown names throw here
    }

    const WaveletDenoiserParams& params() const { return params_; }

    /// out = shrinkage estimate of y for noise level σ > 0 (out may alias y).
    template <std::size_t Rank>
    void denoise(const xt::xtensor<T, Rank>& y, T sigma, xt::xtensor<T, Rank>& out) const {
        static_assert(Rank == 2 || Rank == 3, "WaveletDenoiser acts on H×W images or C×H×W stacks");
        constexpr const char* where = "lucid::denoisers::WaveletDenoiser::denoise";
        require_positive(where, "sigma", sigma);
        require_finite_image(where, "y", y);
        const Shape<Rank> shape = shape_of(y);
        require_shape(where, "out", shape_of(out), shape);
        const auto hw = plane_shape(shape);
        const std::size_t h = hw[0], w = hw[1], plane = h * w;
        const std::size_t m = std::size_t(1) << params_.levels;
        // Padding up to 2·side stays within one period of the half-sample reflection
        // (at most 4× the pixels); beyond it the planes only repeat the image, at a
        // cost of up to (2^levels)² pixels. Levels <= 4 (padding < 16 px) always pass.
        if (m > std::max<std::size_t>(16, 2 * std::min(h, w))) {
            int most = 4;
            while ((std::size_t(1) << (most + 1)) <= 2 * std::min(h, w)) ++most;
            lucid::detail::fail_argument(
                where, "levels",
                lucid::detail::concat("such that 2^levels <= max(16, 2·min(height, width)) (shape ", h, "x", w,
                                      " allows at most ", most, " levels)"),
                params_.levels);
        }
        const std::size_t ph = (h + m - 1) / m * m, pw = (w + m - 1) / m * m;
        if (!transform_ || transform_->domain_shape() != Shape<2>{ph, pw}) {
            transform_.emplace(params_.wavelet, Shape<2>{ph, pw}, params_.levels);
            padded_ = Image<T>({ph, pw});
            shifted_ = Image<T>({ph, pw});
            coeffs_ = Image<T>({ph, pw});
            recon_ = Image<T>({ph, pw});
            sum_ = Image<T>({ph, pw});
        }
        // Thresholding is scale-equivariant, D(s·y, s·σ) = s·D(y, σ): values near the top of
        // T's range (the coarse band gains 2 per level and would overflow) are scaled down by a
        // power of two, which is exact, and back up at the end.
        int e = 0;
        if (const T peak = norm_inf(y); peak > std::numeric_limits<T>::max() / T(4096)) std::frexp(peak, &e);
        const T thr = std::ldexp(T(params_.threshold_factor) * sigma, -e);
        const auto a = transform_->approximation_shape();
        const std::size_t ns = std::size_t(params_.shifts);
        for (std::size_t k = 0; k < channel_count(shape); ++k) {
            const T* src = y.data() + k * plane;
            for (std::size_t i = 0; i < ph; ++i)
                for (std::size_t j = 0; j < pw; ++j) padded_(i, j) = std::ldexp(src[reflect(i, h) * w + reflect(j, w)], -e);
            std::fill(sum_.begin(), sum_.end(), T(0));
            for (std::size_t sy = 0; sy < ns; ++sy)
                for (std::size_t sx = 0; sx < ns; ++sx) {
                    for (std::size_t i = 0; i < ph; ++i)
                        for (std::size_t j = 0; j < pw; ++j) shifted_((i + sy) % ph, (j + sx) % pw) = padded_(i, j);
                    transform_->apply(shifted_, coeffs_);
                    for (std::size_t i = 0; i < ph; ++i)
                        for (std::size_t j = 0; j < pw; ++j) {
                            if (i < a[0] && j < a[1]) continue;  // approximation band
                            T& c = coeffs_(i, j);
                            c = params_.mode == ThresholdMode::soft ? lucid::detail::soft_threshold(c, thr)
                                                                    : (std::abs(c) > thr ? c : T(0));
                        }
                    transform_->apply_adjoint(coeffs_, recon_);
                    for (std::size_t i = 0; i < ph; ++i)
                        for (std::size_t j = 0; j < pw; ++j) sum_(i, j) += recon_((i + sy) % ph, (j + sx) % pw);
                }
            T* dst = out.data() + k * plane;
            const T inv = T(1) / T(ns * ns);
            for (std::size_t i = 0; i < h; ++i)
                for (std::size_t j = 0; j < w; ++j) dst[i * w + j] = std::ldexp(sum_(i, j) * inv, e);
        }
    }

private:
    static std::size_t reflect(std::size_t i, std::size_t n) {
        const std::size_t m = i % (2 * n);
        return m < n ? m : 2 * n - 1 - m;
    }

    WaveletDenoiserParams params_;
    mutable std::optional<ops::Wavelet2D<T>> transform_;
    mutable Image<T> padded_, shifted_, coeffs_, recon_, sum_;
};

}  // namespace lucid::denoisers
