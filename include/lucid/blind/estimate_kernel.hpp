#pragma once
/// \file estimate_kernel.hpp
/// Blind kernel estimation: alternating minimization over the image and the
/// kernel, coarse to fine, with an L0 gradient prior on the image and the
/// kernel on the simplex.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "lucid/blind/detail/alternating_level.hpp"
#include "lucid/blind/detail/kernel_cleanup.hpp"
#include "lucid/blind/detail/pyramid.hpp"
#include "lucid/blind/options.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid::blind {

/// What one pyramid level of `estimate_kernel` did.
struct LevelReport {
    std::size_t height = 0, width = 0;  ///< image size at the level
    std::size_t kernel_size = 0;        ///< kernel side at the level
    std::size_t grid_rows = 0, grid_cols = 0;  ///< the padded FFT grid
    int iterations = 0;                 ///< alternations run
    double seconds = 0;                 ///< wall time of the level (setup included)
    double image_seconds = 0;           ///< of which image steps
    double kernel_seconds = 0;          ///< of which kernel steps
};

/// What a progress callback of `estimate_kernel` sees after every alternation.
/// Return `true` from the callback to stop (the kernel so far is returned,
/// brought to the full size, with Status::stopped).
template <class T>
struct KernelProgress {
    int level;                   ///< 1-based, coarsest first
    int levels;                  ///< number of pyramid levels
    int iteration;               ///< 1-based alternation within the level
    int iterations;              ///< alternations per level
    std::size_t height, width;   ///< image size at this level
    std::size_t kernel_size;     ///< kernel side at this level
    double lambda;               ///< L0 weight used by this alternation's image step
    double elapsed;              ///< seconds since the start
    const Image<T>& kernel;      ///< current kernel estimate at this level (do not keep the reference)
};

/// The result of `estimate_kernel`.
template <class T>
struct KernelEstimate {
    Image<T> kernel;                  ///< n×n, non-negative, sums to 1, centroid at the centre pixel
    Image<T> latent;                  ///< the sharp L0 estimate of the finest level reached (for inspection)
    std::vector<LevelReport> levels;  ///< coarsest first
    Status status = Status::converged;  ///< converged (all levels run) or stopped (by the callback)
    std::string message;
    double seconds = 0;               ///< total wall time
};

}  // namespace lucid::blind

namespace lucid::detail::blind {

template <class T>
void require_blind_image(const char* where, const Image<T>& image, std::size_t n) {
    require_finite_image(where, "image", image);
    const std::size_t h = image.shape()[0], w = image.shape()[1];
    const std::size_t need = 2 * n + 1;
    if (h < need || w < need)
        lucid::detail::fail_argument(
            where, "options.kernel_size",
            lucid::detail::concat("at most (min(H, W) - 1)/2 = ", (std::min(h, w) - 1) / 2, " for this ", h, "x", w,
                                  " image (the image must be at least 2*kernel_size+1 pixels on each side)"),
            n);
}

/// BT.601 luma of a 3-channel stack, the mean of the planes otherwise.
template <class T>
Image<T> luma(const ImageStack<T>& s) {
    const std::size_t c = s.shape()[0], h = s.shape()[1], w = s.shape()[2], hw = h * w;
    Image<T> out({h, w});
    if (c == 3) {
        for (std::size_t i = 0; i < hw; ++i)
            out.data()[i] = T(0.299 * double(s.data()[i]) + 0.587 * double(s.data()[hw + i]) +
                              0.114 * double(s.data()[2 * hw + i]));
    } else {
        for (std::size_t i = 0; i < hw; ++i) {
            double a = 0;
            for (std::size_t k = 0; k < c; ++k) a += double(s.data()[k * hw + i]);
            out.data()[i] = T(a / double(c));
        }
    }
    return out;
}

/// k = the isotropic Gaussian exp(−|d|²/(2σ²)) on the kernel's grid, normalized;
/// σ = 0 gives a delta.
template <class T>
void initial_kernel(Image<T>& k, double sigma) {
    const std::size_t m = k.shape()[0];
    double total = 0;
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < m; ++j) {
            const double di = double(i) - double(m / 2), dj = double(j) - double(m / 2);
            // the centre is 1 exactly: 2σ² may underflow (0/0 = NaN for σ < ~1e-154), the delta limit
            const double v = (di == 0 && dj == 0) ? 1.0
                             : sigma > 0          ? std::exp(-(di * di + dj * dj) / (2 * sigma * sigma))
                                                  : 0.0;
            k(i, j) = T(v);
            total += v;
        }
    for (auto& v : k) v = T(double(v) / total);
}

template <class C, class S>
bool call_progress(C& cb, const S& s) {
    if constexpr (std::is_void_v<decltype(cb(s))>) {
        cb(s);
        return false;
    } else {
        return bool(cb(s));
    }
}

}  // namespace lucid::detail::blind

namespace lucid::blind {

/// Estimates the blur kernel k of a blurred gray image y = k ∗ x + noise
/// (camera shake, large motion blur) by alternating minimization of
/// \f[ \min_{x,\,k}\ \|k * x - y\|^2 + \lambda\|\nabla x\|_0 + \gamma\|k\|^2
///     \quad\text{s.t.}\quad k \ge 0,\ \textstyle\sum k = 1,\ \mathrm{supp}\,k \subseteq n\times n, \f]
/// the variational blind model (x, A) = argmin ‖A(x) − y‖² + λR₁(x) + μR₂(A)
/// with the L0 gradient prior of Xu, Zheng & Jia, "Unnatural L0 sparse
/// representation for natural image deblurring" (CVPR 2013) and Pan, Hu, Su &
/// Yang, "Deblurring text images via L0-regularized intensity and gradient
/// prior" (CVPR 2014), which keeps the salient edges that determine the kernel
/// and removes the fine texture that misleads it (Cho & Lee, "Fast motion
/// deblurring", SIGGRAPH Asia 2009).
///
/// **Coarse to fine.** The image is resampled (antialiased linear) to scales
/// r^i, r = `scale_ratio`, i = L−1, …, 0, with kernel sides ⌈n r^i⌉ (odd) down
/// to `coarsest_kernel_size`; the coarsest level starts from a Gaussian of σ = `initial_sigma` (a delta for 0), each
/// next one from the previous kernel centred and magnified by 1/r.
///
/// **Per level**, `iterations` alternations of
/// 1. the image step: x ≈ argmin ‖k ∗ x − ỹ‖² + λ‖∇x‖₀ by half-quadratic
///    splitting (β = 2λ, 2λκ, … < β_max; each step one FFT pair on a padded
///    periodic grid, ỹ = y with a smooth periodic continuation);
/// 2. the kernel step: least squares on gradients (Cho & Lee 2009; Pan et al.
///    2014) with the image fixed,
///    \f$ \min_k \tfrac12\sum_{p\in\Omega}|(k * \nabla x)(p) - \nabla y(p)|^2 + \tfrac12\gamma\|k\|^2 \f$
///    (Ω = pixels at least n/2 from the border, γ = kernel_weight·Σ_Ω|∇x|²;
///    ∇x keeps only salient gradients: at pixels whose blurred neighbourhood
///    has coherent edges — the `edge_fraction` largest values of Xu & Jia
///    2010's r = |Σ_N ∇y|/(Σ_N |∇y| + ε) over n×n windows N — and there the
///    largest magnitudes, `salient_fraction` per orientation, Cho & Lee 2009),
///    whose normal equations (T + γI)k = b have the autocorrelation of ∇x as
///    Toeplitz T and the correlation of ∇x with ∇y as b, both from FFTs; solved
///    by `cg_iterations` conjugate-gradient steps and then exactly on the simplex
///    {k ≥ 0, Σk = 1} by `simplex_iterations` FISTA steps with Euclidean
///    projections (lucid::Simplex); finally entries below `prune_threshold`·max
///    and 8-connected components lighter than `component_mass` are removed and
///    the kernel renormalized;
/// 3. λ ← max(λ/`lambda_decay`^(5/`iterations`), `lambda_min`) (continuing
///    across levels): λ falls by lambda_decay⁵ per level whatever the number
///    of alternations, so that more alternations refine rather than drive λ
///    to its floor, where the latent image keeps noise and the kernel degrades.
///
/// Workspaces and FFT plans (lucid::fft::plan) are made once per level;
/// nothing is allocated inside the alternations.
///
/// \param image    blurred gray image (finite, values in [0, 1]: the prior weights are absolute), H×W with min(H, W) ≥ 2n + 1
/// \param options  see KernelEstimationOptions; `kernel_size` n bounds the blur
/// \param callback optional, called with KernelProgress<T> after every
///                 alternation; returning true stops
/// \return the kernel (n×n, sums to 1), the last latent image and per-level timing
/// \throws lucid::Error naming `image` (empty, non-finite) or the bad option
///         (`options.kernel_size` even, < 3 or too large for the image, …)
///
/// ```cpp
/// auto y = lucid::io::read_gray<double>("shaken.png");
/// auto est = lucid::blind::estimate_kernel(y, {.kernel_size = 25});
/// // est.kernel: 25×25, sums to 1; est.levels[i].seconds: time per level
/// ```
template <class T, class Callback = callbacks::None>
KernelEstimate<T> estimate_kernel(const Image<T>& image, const KernelEstimationOptions& options = {},
                                  Callback callback = {}) {
    static_assert(std::is_floating_point_v<T>, "estimate_kernel needs float or double images");
    constexpr const char* where = "lucid::blind::estimate_kernel";
    options.validate(where);
    const std::size_t n = options.kernel_size;
    lucid::detail::blind::require_blind_image(where, image, n);
    lucid::detail::Stopwatch clock;
    const std::size_t h = image.shape()[0], w = image.shape()[1];
    const auto levels = lucid::detail::blind::pyramid_levels(h, w, n, options.scale_ratio, options.coarsest_kernel_size);

    KernelEstimate<T> out;
    Image<T> k({levels.front().kernel_size, levels.front().kernel_size});
    lucid::detail::blind::initial_kernel(k, options.initial_sigma);
    double lambda = options.lambda;
    // Per-alternation factor: lambda_decay^5 per level for any `iterations` (Pan et al.'s 1.1 per step at 5).
    const double decay = std::pow(options.lambda_decay, 5.0 / double(options.iterations));
    bool stopped = false;
    std::size_t level_index = 0;
    for (; level_index < levels.size() && !stopped; ++level_index) {
        const auto& lv = levels[level_index];
        const double t0 = clock.seconds();
        if (k.shape()[0] != lv.kernel_size) {
            const double mag = lv.scale / levels[level_index - 1].scale;
            k = lucid::detail::blind::resize_kernel(k, lv.kernel_size, mag);
        }
        const Image<T> y = lucid::detail::blind::resize_image(image, lv.height, lv.width);
        lucid::detail::blind::AlternatingLevel<T> solver(y, lv.kernel_size, options);
        LevelReport report;
        report.height = lv.height;
        report.width = lv.width;
        report.kernel_size = lv.kernel_size;
        report.grid_rows = solver.grid_rows();
        report.grid_cols = solver.grid_cols();
        for (int it = 1; it <= options.iterations; ++it) {
            const double a = clock.seconds();
            solver.update_image(k, lambda);
            const double b = clock.seconds();
            solver.update_kernel(k);
            const double c = clock.seconds();
            report.image_seconds += b - a;
            report.kernel_seconds += c - b;
            report.iterations = it;
            const KernelProgress<T> progress{int(level_index + 1), int(levels.size()), it, options.iterations,
                                             lv.height, lv.width, lv.kernel_size, lambda, c, k};
            lambda = std::max(lambda / decay, options.lambda_min);
            if (lucid::detail::blind::call_progress(callback, progress)) {
                stopped = true;
                break;
            }
        }
        lucid::detail::blind::center_kernel(k);
        if (level_index + 1 == levels.size() || stopped) out.latent = solver.latent();
        report.seconds = clock.seconds() - t0;
        out.levels.push_back(report);
    }
    if (k.shape()[0] != n) k = lucid::detail::blind::resize_kernel(k, n, 1.0 / levels[level_index - 1].scale);
    out.kernel = std::move(k);
    out.status = stopped ? Status::stopped : Status::converged;
    out.message = stopped ? lucid::detail::concat("stopped by the callback at level ", level_index, " of ",
                                                  levels.size())
                          : lucid::detail::concat(levels.size(), " pyramid levels, ", options.iterations,
                                                  " alternations each");
    out.seconds = clock.seconds();
    return out;
}

/// Colour (or any C×H×W) input: the kernel is estimated on the BT.601 luma of
/// a 3-channel stack (the mean of the planes otherwise); see the gray overload.
template <class T, class Callback = callbacks::None>
KernelEstimate<T> estimate_kernel(const ImageStack<T>& image, const KernelEstimationOptions& options = {},
                                  Callback callback = {}) {
    require_finite_image("lucid::blind::estimate_kernel", "image", image);
    return estimate_kernel(lucid::detail::blind::luma(image), options, std::move(callback));
}

}  // namespace lucid::blind
