#pragma once
/// \file deconvolve.hpp
/// Non-blind deconvolution with a known (or estimated) kernel: the second half
/// of blind deblurring, with the library's solvers and boundary handling
/// suited to real photos.

#include <algorithm>
#include <cstddef>
#include <string>

#include "lucid/blind/detail/alternating_level.hpp"
#include "lucid/blind/options.hpp"
#include "lucid/core/boundary.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/kernels/normalize.hpp"
#include "lucid/ops/convolution.hpp"
#include "lucid/solvers/admm_tv.hpp"
#include "lucid/solvers/status.hpp"
#include "lucid/solvers/wiener.hpp"

namespace lucid::blind {

}  // namespace lucid::blind

namespace lucid::detail::blind {

template <class T>
Image<T> crop(const Image<T>& x, std::size_t top, std::size_t left, std::size_t h, std::size_t w) {
    Image<T> out({h, w});
    for (std::size_t i = 0; i < h; ++i)
        std::copy(x.data() + (top + i) * x.shape()[1] + left, x.data() + (top + i) * x.shape()[1] + left + w,
                  out.data() + i * w);
    return out;
}

}  // namespace lucid::detail::blind

namespace lucid::blind {

/// Restores x from y = k ∗ x + noise with the kernel k known, by one of
/// (`options.method`):
/// - `tv` (default): \f$ \min_x \tfrac12\|k \circledast x - \tilde y\|^2 + \lambda\,\mathrm{TV}(x) \f$
///   with lucid::admm_tv on a periodic grid of ≥ (H + k_h)×(W + k_w) pixels,
///   ỹ = y continued smoothly and periodically across the borders (see
///   lucid::detail::blind::periodic_extension), so that every ADMM step is one FFT pair and
///   the borders do not ring; the H×W part aligned with y is returned.
/// - `tv_valid`: \f$ \min_x \tfrac12\|\mathrm{valid}(k * x) - y\|^2 + \lambda\,\mathrm{TV}(x) \f$
///   over x of size (H + k_h − 1)×(W + k_w − 1) (Almeida & Figueiredo, IEEE TIP
///   22(8), 2013, through lucid::admm_tv): the honest model of a photo's
///   borders, several times slower; the H×W part aligned with y is returned.
/// - `wiener`: the Wiener filter conj(K̂)/(|K̂|² + nsr) (lucid::wiener) on the
///   same periodic continuation; closed form.
///
/// \param y       blurred gray image (finite), larger than the kernel in both directions
/// \param kernel  the blur (finite with a sum > 0, any size; usually n×n summing to 1)
/// \param options method and its parameters (DeconvolutionOptions)
/// \return the restored H×W image and the solver's run information
/// \throws lucid::Error naming `y`, `kernel` or the bad option
/// ```cpp
/// auto r = lucid::blind::deconvolve(y, est.kernel, {.lambda = 2e-3});
/// ```
template <class T>
SolverResult<Image<T>> deconvolve(const Image<T>& y, const Image<T>& kernel, const DeconvolutionOptions& options = {}) {
    constexpr const char* where = "lucid::blind::deconvolve";
    options.validate(where);
    require_finite_image(where, "y", y);
    lucid::kernels::require_positive_sum(kernel, where);  // a zero kernel would return 0, even "converged"
    const std::size_t h = y.shape()[0], w = y.shape()[1], kh = kernel.shape()[0], kw = kernel.shape()[1];
    if (kh > h || kw > w)
        lucid::detail::fail_argument<ShapeError>(where, "kernel",
                                                 lucid::detail::concat("at most ", h, "x", w, " (the image)"),
                                                 lucid::detail::concat(kh, "x", kw));
    SolverResult<Image<T>> out;
    if (options.method == Deconvolution::tv_valid) {
        const std::size_t top = kh - 1 - kh / 2, left = kw - 1 - kw / 2;
        const Shape<2> dom{h + kh - 1, w + kw - 1};
        Image<T> x0(dom);
        for (std::size_t i = 0; i < dom[0]; ++i)
            for (std::size_t j = 0; j < dom[1]; ++j) {
                const std::size_t a = std::min(h - 1, std::size_t(std::max<std::ptrdiff_t>(0, std::ptrdiff_t(i) - std::ptrdiff_t(top))));
                const std::size_t b = std::min(w - 1, std::size_t(std::max<std::ptrdiff_t>(0, std::ptrdiff_t(j) - std::ptrdiff_t(left))));
                x0(i, j) = y(a, b);
            }
        ops::Convolution<T> A(kernel, dom, Boundary::valid);
        auto r = admm_tv(A, y, T(options.lambda), x0, {.max_iter = options.max_iter, .tol = options.tol});
        static_cast<RunInfo&>(out) = static_cast<RunInfo&>(r);
        out.x = lucid::detail::blind::crop(r.x, top, left, h, w);
        return out;
    }
    const std::size_t P = lucid::detail::blind::even_fft_size(h + kh), Q = lucid::detail::blind::even_fft_size(w + kw);
    Image<T> yp({P, Q});
    lucid::detail::blind::periodic_extension(y, P, Q, yp.data());
    ops::Convolution<T> A(kernel, yp.shape(), Boundary::periodic);
    if (options.method == Deconvolution::wiener) {
        auto r = wiener(A, yp, {.nsr = options.nsr});
        static_cast<RunInfo&>(out) = static_cast<RunInfo&>(r);
        out.x = lucid::detail::blind::crop(r.x, 0, 0, h, w);
        return out;
    }
    auto r = admm_tv(A, yp, T(options.lambda), yp, {.max_iter = options.max_iter, .tol = options.tol});
    static_cast<RunInfo&>(out) = static_cast<RunInfo&>(r);
    out.x = lucid::detail::blind::crop(r.x, 0, 0, h, w);
    return out;
}

/// Colour (C×H×W) images: every plane is deconvolved with the same kernel;
/// the run information is that of the last plane, with the iterations summed.
template <class T>
SolverResult<ImageStack<T>> deconvolve(const ImageStack<T>& y, const Image<T>& kernel,
                                       const DeconvolutionOptions& options = {}) {
    constexpr const char* where = "lucid::blind::deconvolve";
    require_finite_image(where, "y", y);  // the kernel is checked by the first plane's call
    const std::size_t c = y.shape()[0], h = y.shape()[1], w = y.shape()[2];
    SolverResult<ImageStack<T>> out;
    out.x = ImageStack<T>({c, h, w});
    int iterations = 0;
    for (std::size_t p = 0; p < c; ++p) {
        Image<T> plane({h, w});
        std::copy(y.data() + p * h * w, y.data() + (p + 1) * h * w, plane.data());
        auto r = deconvolve(plane, kernel, options);
        std::copy(r.x.data(), r.x.data() + h * w, out.x.data() + p * h * w);
        iterations += r.iterations;
        static_cast<RunInfo&>(out) = static_cast<RunInfo&>(r);
    }
    out.iterations = iterations;
    return out;
}

}  // namespace lucid::blind
