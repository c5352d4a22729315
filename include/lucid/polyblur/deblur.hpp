#pragma once
/// \file deblur.hpp
/// Polyblur, the whole method (POLYBLUR.md §1): blind removal of mild blur by
/// repeated estimation (§2) and polynomial deconvolution (§4) with halo
/// removal (§5).
///
/// ```
/// u = v
/// repeat n_iter times:
///     (σ0, σ1, θ) = estimate(u)             // §2, on the current estimate
///     k = gaussian_kernel(σ0, σ1, θ)        // §3
///     w = p(K) u                            // §4, each channel, one kernel
///     if remove_halo: w = halo_blend(u, halo_blend(u, w))  // §5 twice, against this pass's input (halo.hpp)
///     u = clamp(w, 0, 1)
/// ```
/// Reference: M. Delbracio, I. Garcia-Dorado, S. Choi, D. Kelly, P. Milanfar,
/// "Polyblur: Removing mild blur by polynomial reblurring", IEEE Trans.
/// Computational Imaging 7, 2021; T. Eboli, J.-M. Morel, G. Facciolo,
/// "Breaking down Polyblur: fast blind correction of small anisotropic
/// blurs", IPOL 12, 2022.
///
/// `Polyblur<T>` is a workspace: it keeps its FFT plans, the estimator's
/// planes, the deconvolution's blocks and a ping-pong image buffer across
/// passes and calls, so a loop over same-sized images allocates nothing
/// image-sized after the first call.

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/polyblur/bilateral.hpp"
#include "lucid/polyblur/deconvolve.hpp"
#include "lucid/polyblur/estimate_blur.hpp"
#include "lucid/polyblur/gaussian_blur.hpp"
#include "lucid/polyblur/options.hpp"

namespace lucid::polyblur {

/// The restored image and the blur estimated at each pass (first = the input's).
template <class T, std::size_t Rank>
struct PolyblurResult {
    xt::xtensor<T, Rank> image;           ///< restored image in [0, 1], same shape as the input
    std::vector<GaussianBlur> estimates;  ///< estimates[i] = blur measured before pass i
    /// Passes run: n_iter, or fewer when `stop_below` ended the run; then the
    /// last entry of `estimates` is the estimate that stopped it (no pass used it).
    std::size_t passes = 0;
};

/// Reusable Polyblur workspace (see the file comment for the algorithm).
///
/// Example:
/// ```
/// lucid::polyblur::Polyblur<float> pb({.n_iter = 3});
/// for (auto& frame : frames) {
///     auto r = pb(frame);          // r.image, r.estimates
/// }
/// ```
/// One object must not be used from two threads at once; the passes
/// themselves use `lucid::num_threads()` threads.
template <class T>
class Polyblur {
    static_assert(std::is_floating_point_v<T>, "Polyblur<T> needs T = float or double");

public:
    /// \throws lucid::Error naming the first invalid option
    explicit Polyblur(PolyblurOptions options = {}) : options_(std::move(options)) { options_.validate(); }

    const PolyblurOptions& options() const { return options_; }
    /// Replaces the options (validated); buffers are kept.
    void set_options(PolyblurOptions options) {
        options.validate();
        options_ = std::move(options);
    }

    /// Runs Polyblur on an H×W image or a C×H×W stack (values in [0, 1],
    /// finite, larger than 2·border in both dimensions).
    template <std::size_t Rank>
    PolyblurResult<T, Rank> operator()(const xt::xtensor<T, Rank>& image) {
        PolyblurResult<T, Rank> r;
        r.estimates = run(image, r.image);
        r.passes = last_passes_;
        return r;
    }

    /// Runs Polyblur into `out` (resized to the image's shape if needed; must
    /// not be `image`) and returns the estimate of each pass (and the one that
    /// stopped the run, if `stop_below` did; see `last_passes`).
    template <std::size_t Rank>
    std::vector<GaussianBlur> run(const xt::xtensor<T, Rank>& image, xt::xtensor<T, Rank>& out) {
        constexpr std::string_view where = "lucid::polyblur::deblur";
        detail::require_polyblur_image(where, image);
        require(&out != &image, where, "out", "a buffer distinct from image", "the same object");
        if (!(out.shape() == image.shape())) out = lucid::detail::fresh_untouched<xt::xtensor<T, Rank>>(image.shape());
        const Shape<Rank> s = shape_of(image);
        const auto hw = plane_shape(s);
        const std::size_t c = channel_count(s), h = hw[0], w = hw[1], total = c * h * w;
        const int n = options_.n_iter;
        if (n > 1 && work_.size() < total) work_ = fft::AlignedBuffer<T>(total);
        std::vector<GaussianBlur> estimates;
        estimates.reserve(std::size_t(n));
        // Pass i writes into out when n−1−i is even, else into work_, so the
        // last pass lands in out and consecutive passes alternate.
        const T* src = image.data();
        last_passes_ = 0;
        for (int i = 0; i < n; ++i) {
            T* dst = ((n - 1 - i) % 2 == 0) ? out.data() : work_.data();
            const BlurEstimation e = estimate_planes(src, c, h, w, c >= 2 ? dst : nullptr);
            estimates.push_back(e.blur);
            if (std::max(e.blur.sigma0, e.blur.sigma1) < options_.stop_below) break;  // §8 safeguard
            pass(src, dst, c, h, w, e.blur);
            ++last_passes_;
            src = dst;
        }
        if (src != out.data()) std::copy(src, src + total, out.data());  // stopped early: the last input is the result
        return estimates;
    }

    /// Passes the last `run` made (n_iter unless `stop_below` stopped it).
    std::size_t last_passes() const { return last_passes_; }

    /// §2 on an image or stack, reusing the workspace (see `estimate_blur_details`).
    template <std::size_t Rank>
    BlurEstimation estimate(const xt::xtensor<T, Rank>& image) {
        detail::require_polyblur_image("lucid::polyblur::estimate_blur", image);
        const Shape<Rank> s = shape_of(image);
        const auto hw = plane_shape(s);
        return estimate_planes(image.data(), channel_count(s), hw[0], hw[1], nullptr);
    }

    /// One pass for a given blur: out = clamp(halo_blend(v, p(K) v), 0, 1)
    /// (halo blend only if `remove_halo`), K the Gaussian of `blur` with
    /// `kernel_size` taps. `out` is resized if needed and must not be `image`.
    template <std::size_t Rank>
    void restore(const xt::xtensor<T, Rank>& image, const GaussianBlur& blur, xt::xtensor<T, Rank>& out) {
        constexpr std::string_view where = "lucid::polyblur::Polyblur::restore";
        detail::require_polyblur_image(where, image);
        require(&out != &image, where, "out", "a buffer distinct from image", "the same object");
        if (!(out.shape() == image.shape())) out = lucid::detail::fresh_untouched<xt::xtensor<T, Rank>>(image.shape());
        const Shape<Rank> s = shape_of(image);
        const auto hw = plane_shape(s);
        pass(image.data(), out.data(), channel_count(s), hw[0], hw[1], blur);
    }

    /// Route used by the last pass (never Route::automatic once a pass ran).
    Route last_route() const { return filter_.route(); }

private:
    BlurEstimation estimate_planes(const T* planes, std::size_t c, std::size_t h, std::size_t w, T* lend) {
        T *gray, *gy;
        if (lend) {  // two planes of the pass's destination, dead until the pass writes it
            gray = lend;
            gy = lend + h * w;
        } else {
            if (estimate_planes_.size() < 2 * h * w) estimate_planes_ = fft::AlignedBuffer<T>(2 * h * w);
            gray = estimate_planes_.data();
            gy = gray + h * w;
        }
        return estimator_.run(planes, c, h, w, gray, gy, options_.estimate);
    }

    void pass(const T* src, T* dst, std::size_t c, std::size_t h, std::size_t w, const GaussianBlur& blur) {
        const Image<T> k = blur.template kernel<T>(std::size_t(options_.kernel_size));
        const auto a = polynomial_coefficients<double>(options_.alpha, options_.beta);
        filter_.configure(k, std::vector<double>(a.begin(), a.end()), h, w, options_.route, options_.tile_size,
                          options_.edge_taper);
        const std::size_t plane = h * w;
        const T* v = src;
        if (options_.prefilter) {
            if (base_.size() < c * plane) base_ = fft::AlignedBuffer<T>(c * plane);
            detail::bilateral_planes(src, c, h, w, options_.prefilter_sigma_spatial, options_.prefilter_sigma_range,
                                     base_.data());
            v = base_.data();
        }
        for (std::size_t ch = 0; ch < c; ++ch)
            filter_.run(v + ch * plane, options_.prefilter ? src + ch * plane : nullptr, dst + ch * plane,
                        options_.remove_halo, true);
    }

    PolyblurOptions options_;
    detail::Estimator<T> estimator_;
    detail::PolyFilter<T> filter_;
    fft::AlignedBuffer<T> work_, estimate_planes_, base_;
    std::size_t last_passes_ = 0;
};

/// Polyblur (POLYBLUR.md §1–5): blind removal of mild blur from an H×W image
/// or a C×H×W stack with values in [0, 1]. Returns the restored image
/// (clamped to [0, 1]) and the blur estimated before each pass. For many
/// images of one size, keep a `Polyblur<T>` workspace instead.
///
/// \param image   finite, non-empty, larger than 2·options.estimate.border in both dimensions
/// \param options see `PolyblurOptions` (validated)
/// \throws lucid::Error naming the invalid argument or option
///
/// Example:
/// ```
/// auto y = lucid::io::read_color<float>("photo.png");
/// auto r = lucid::polyblur::deblur(y);                 // 3 passes, α = 6, β = 1
/// lucid::io::write("sharper.png", r.image);
/// ```
template <class T, std::size_t Rank>
PolyblurResult<T, Rank> deblur(const xt::xtensor<T, Rank>& image, const PolyblurOptions& options = {}) {
    Polyblur<T> workspace(options);
    return workspace(image);
}

}  // namespace lucid::polyblur
