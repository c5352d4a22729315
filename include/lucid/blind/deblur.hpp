#pragma once
/// \file deblur.hpp
/// Blind deblurring: kernel estimation followed by non-blind deconvolution.

#include <cstddef>
#include <string>

#include "lucid/blind/deconvolve.hpp"
#include "lucid/blind/estimate_kernel.hpp"
#include "lucid/blind/options.hpp"
#include "lucid/core/image.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid::blind {

/// The result of `deblur`: the restored image, the estimated kernel, the
/// details of both stages.
template <class T, class V = Image<T>>
struct DeblurResult {
    V x;                          ///< restored image, same shape as the input
    Image<T> kernel;              ///< estimated kernel (n×n, non-negative, sums to 1)
    KernelEstimate<T> estimate;   ///< latent image and per-level timing of the estimation
    RunInfo deconvolution;        ///< status, iterations, history of the non-blind solver
    double seconds = 0;           ///< total wall time
};

/// Blind deblurring of a gray image: the kernel from `estimate_kernel`
/// (alternating L0-gradient / simplex-kernel minimization, coarse to fine),
/// then x from `deconvolve` with that kernel (ADMM-TV by default):
/// \f[ \hat k = \arg\min_{k\in\Delta_n}\min_x \|k * x - y\|^2 + \lambda\|\nabla x\|_0 + \gamma\|k\|^2,\qquad
///     \hat x = \arg\min_x \tfrac12\|\hat k * x - y\|^2 + \mu\,\mathrm{TV}(x), \f]
/// the practical form of (x, A) = argmin ‖A(x) − y‖² + λR₁(x) + μR₂(A) of
/// Pan, Hu, Su & Yang (CVPR 2014) for kernel estimation followed by a
/// non-blind solver (the strategy that Levin et al., CVPR 2009, show to work
/// better than joint MAP on x and k). If the callback stops the estimation,
/// the kernel so far is still used for the deconvolution.
///
/// \param image    blurred gray image (finite), min(H, W) ≥ 2·kernel_size + 1
/// \param options  estimation (kernel_size, …) and deconvolution (method, λ, …) options
/// \param callback optional progress callback of the estimation (see estimate_kernel)
/// \throws lucid::Error naming `image` or the bad option
/// ```cpp
/// auto y = lucid::io::read_gray<double>("shaken.png");
/// lucid::blind::DeblurOptions o;
/// o.estimation.kernel_size = 31;
/// auto r = lucid::blind::deblur(y, o);
/// lucid::io::write("sharp.png", r.x);
/// ```
template <class T, class Callback = callbacks::None>
DeblurResult<T> deblur(const Image<T>& image, const DeblurOptions& options = {}, Callback callback = {}) {
    options.validate("lucid::blind::deblur");
    lucid::detail::Stopwatch clock;
    DeblurResult<T> out;
    out.estimate = estimate_kernel(image, options.estimation, std::move(callback));
    out.kernel = out.estimate.kernel;
    auto r = deconvolve(image, out.kernel, options.deconvolution);
    out.x = std::move(r.x);
    out.deconvolution = static_cast<RunInfo&&>(std::move(r));
    out.seconds = clock.seconds();
    return out;
}

/// Colour (C×H×W) images: the kernel is estimated on the luma (BT.601 for 3
/// channels), then every channel is deconvolved with it.
template <class T, class Callback = callbacks::None>
DeblurResult<T, ImageStack<T>> deblur(const ImageStack<T>& image, const DeblurOptions& options = {},
                                      Callback callback = {}) {
    options.validate("lucid::blind::deblur");
    lucid::detail::Stopwatch clock;
    DeblurResult<T, ImageStack<T>> out;
    out.estimate = estimate_kernel(image, options.estimation, std::move(callback));
    out.kernel = out.estimate.kernel;
    auto r = deconvolve(image, out.kernel, options.deconvolution);
    out.x = std::move(r.x);
    out.deconvolution = static_cast<RunInfo&&>(std::move(r));
    out.seconds = clock.seconds();
    return out;
}

}  // namespace lucid::blind
