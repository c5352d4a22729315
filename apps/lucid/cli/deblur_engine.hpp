#pragma once
// Non-blind deconvolution methods of `lucid deblur` (and of the demo) on one
// gray plane: the method table with defaults, boundary resolution, and one
// run of the chosen solver with the tool's callback.

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/common.hpp"
#include "cli/denoisers.hpp"
#include "cli/kernel_arg.hpp"
#include "cli/progress.hpp"
#include "lucid/core/boundary.hpp"
#include "lucid/functionals/l21_norm.hpp"
#include "lucid/functionals/least_squares.hpp"
#include "lucid/functionals/squared_l2.hpp"
#include "lucid/functionals/total_variation.hpp"
#include "lucid/functionals/wavelet_l1.hpp"
#include "lucid/functionals/zero.hpp"
#include "lucid/functionals/algebra.hpp"
#include "lucid/ops/convolution.hpp"
#include "lucid/ops/gradient.hpp"
#include "lucid/ops/stack.hpp"
#include "lucid/ops/stationary_wavelet2d.hpp"
#include "lucid/solvers/admm_tv.hpp"
#include "lucid/solvers/fista.hpp"
#include "lucid/solvers/hqs_tv.hpp"
#include "lucid/solvers/pdhg.hpp"
#include "lucid/solvers/pnp_admm.hpp"
#include "lucid/solvers/pnp_fista.hpp"
#include "lucid/solvers/pnp_hqs.hpp"
#include "lucid/solvers/red.hpp"
#include "lucid/solvers/richardson_lucy.hpp"
#include "lucid/solvers/tikhonov.hpp"
#include "lucid/solvers/wiener.hpp"

namespace lucid::cli {

/// One deconvolution method of the command line.
struct MethodInfo {
    const char* name;
    const char* summary;
    const char* lambda_meaning;  ///< what --lambda sets ("" when unused)
    double default_lambda;       ///< NaN: derived from --sigma or unused
    int default_iters;           ///< 0: not iterative
    bool needs_kernel = true;
    bool takes_denoiser = false;
};

/// Iterations of the denoiser-driven methods with the CNN denoiser (each one
/// costs a network pass; its stronger prior converges in a few).
inline constexpr int cnn_default_iters = 8;

/// The methods in the order `lucid deblur --help` lists them.
inline const std::vector<MethodInfo>& deblur_methods() {
    constexpr double none = std::numeric_limits<double>::quiet_NaN();
    static const std::vector<MethodInfo> m = {
        {"inverse", "naive inverse filter x = A^-1 y (transfer function; shows why regularization is needed)", "", none,
         0},
        {"wiener", "Wiener filter conj(A)/(|A|^2 + K) (closed form; DCT, or DFT on a smoothly periodized copy)",
         "noise-to-signal ratio K (default 100 sigma^2)", none, 0},
        {"tikhonov", "min 1/2|Ax-y|^2 + lambda/2 |grad x|^2 (closed form or CG)", "weight of |grad x|^2", 1e-2, 0},
        {"richardson-lucy", "Richardson-Lucy (Poisson ML, early stopping); RL-TV when --lambda > 0",
         "RL-TV weight (default 0: plain RL)", 0.0, 30},
        {"fista-wavelet", "FISTA on 1/2|Ax-y|^2 + lambda |W x|_1 (undecimated db4 wavelets, 3 levels)",
         "weight of the wavelet l1 norm", 3e-4, 100},
        {"fista-tv", "FISTA on 1/2|Ax-y|^2 + lambda TV(x) (TV prox by FGP)", "TV weight", 6e-4, 100},
        {"admm-tv", "ADMM on 1/2|Ax-y|^2 + lambda TV(x) (z = grad x; DCT/FFT x-updates)", "TV weight", 6e-4, 100},
        {"hqs-tv", "half-quadratic splitting on 1/2|Ax-y|^2 + lambda TV(x)", "TV weight", 6e-4, 100},
        {"pdhg-tv", "Chambolle-Pock primal-dual on 1/2|Ax-y|^2 + lambda TV(x)", "TV weight", 6e-4, 300},
        {"pnp-admm", "plug-and-play ADMM with --denoiser", "prior weight (default 0.1 sigma^2; nlm, cnn: sigma^2)", none, 30, true,
         true},
        {"pnp-hqs", "plug-and-play HQS with a decreasing denoiser strength", "prior weight (default 0.1 sigma^2; nlm: sigma^2; cnn: 0.3 sigma^2)",
         none, 30, true, true},
        {"pnp-fista", "plug-and-play FISTA with --denoiser", "", none, 50, true, true},
        {"red", "regularization by denoising (fixed-point iteration)", "RED weight", 0.5, 50, true, true},
        {"polyblur", "blind Polyblur (estimate a Gaussian blur, polynomial deconvolution); no --kernel", "", none, 3,
         false},
        {"blind", "blind deconvolution (lucid::blind): estimate the kernel (size --size), then ADMM-TV; no --kernel;"
                   " --iters: alternations per pyramid level (default 5)",
         "TV weight of the final ADMM-TV", 1.5e-3, 0, false},
    };
    return m;
}

/// Whether --sigma enters the run: the denoiser-driven methods (the
/// denoiser's strength) and Wiener without --lambda (K = 100 σ²).
inline bool uses_sigma(const MethodInfo& m, bool lambda_given) {
    return m.takes_denoiser || (std::string_view(m.name) == "wiener" && !lambda_given);
}

inline const MethodInfo* find_method(const std::string& name) {
    for (const auto& m : deblur_methods())
        if (name == m.name) return &m;
    return nullptr;
}

inline std::vector<std::string> method_names() {
    std::vector<std::string> v;
    for (const auto& m : deblur_methods()) v.emplace_back(m.name);
    return v;
}

/// What a non-blind run needs besides the data.
struct DeblurSettings {
    std::string method = "admm-tv";
    std::optional<Boundary> boundary;  ///< nullopt: reflect, or what the method needs
    std::optional<double> lambda;
    std::optional<int> iters;
    std::string denoiser = "tv";
    int ensemble = 1;     ///< CNN prior averaged over this many flips/transposes (1, 2, 4, 8)
    double sigma = 0.01;  ///< noise standard deviation of the input ([0,1] scale)
};

/// What a run produced.
struct DeblurOutcome {
    Image<double> x;          ///< restored plane, clamped to [0, 1], input's shape
    Status status = Status::converged;
    int iterations = 0;
    int max_iter = 0;
    double lambda = std::numeric_limits<double>::quiet_NaN();
    Boundary boundary = Boundary::reflect;
    bool smooth_extension = false;  ///< periodic model on a smoothly periodized copy of y (inverse/wiener)
    std::string message;
    History history;
    std::vector<double> psnr_trace;  ///< per iteration, when a reference was given to the hook
};

/// True when the convolution with `kernel` under `b` is diagonalized by a transform.
inline bool has_transform(const Image<double>& kernel, Shape<2> shape, Boundary b) {
    if (b == Boundary::periodic) return true;
    if (b != Boundary::reflect) return false;
    ops::Convolution<double> probe(kernel, shape, b);
    return probe.axis_symmetric();
}

/// The boundary a method runs with: the requested one (checked) or its default.
inline Boundary resolve_boundary(const std::string& method, std::optional<Boundary> requested,
                                 const Image<double>& kernel, Shape<2> shape) {
    const bool spectral = method == "inverse" || method == "wiener";
    if (!requested) {
        if (spectral) return has_transform(kernel, shape, Boundary::reflect) ? Boundary::reflect : Boundary::periodic;
        return Boundary::reflect;
    }
    if (spectral && !has_transform(kernel, shape, *requested))
        throw UsageError("option '--boundary': method " + method +
                         " needs a blur diagonalized by a transform: periodic, or reflect with a symmetric "
                         "(odd-sized, axis-symmetric) kernel (got " +
                         std::string(to_string(*requested)) + ")");
    return *requested;
}

namespace detail {

/// Replicate-pads y by (top, left) / (bottom, right) to the domain of a valid convolution.
inline Image<double> pad_replicate(const Image<double>& y, Shape<2> dom, std::size_t top, std::size_t left) {
    Image<double> x(dom);
    const auto H = std::ptrdiff_t(y.shape()[0]), W = std::ptrdiff_t(y.shape()[1]);
    for (std::size_t i = 0; i < dom[0]; ++i)
        for (std::size_t j = 0; j < dom[1]; ++j) {
            const auto r = std::clamp(std::ptrdiff_t(i) - std::ptrdiff_t(top), std::ptrdiff_t(0), H - 1);
            const auto c = std::clamp(std::ptrdiff_t(j) - std::ptrdiff_t(left), std::ptrdiff_t(0), W - 1);
            x(i, j) = y(std::size_t(r), std::size_t(c));
        }
    return x;
}

/// y extended to P×Q (P ≥ H, Q ≥ W) so that it is continuous across the
/// periodic wrap: the extra columns, then the extra rows, blend from the last
/// to the first pixel with a raised cosine. A periodic deconvolution of this
/// copy rings much less at the borders than one of y itself, where the wrap
/// jumps (the trick of Liu & Jia 2008 in its simplest form).
inline Image<double> smooth_periodic_pad(const Image<double>& y, std::size_t P, std::size_t Q) {
    const std::size_t H = y.shape()[0], W = y.shape()[1];
    Image<double> x({P, Q});
    auto s = [](std::size_t k, std::size_t n) {  // weight of the first pixel at step k of n extra
        return 0.5 * (1 - std::cos(M_PI * double(k + 1) / double(n + 1)));
    };
    for (std::size_t i = 0; i < H; ++i) {
        for (std::size_t j = 0; j < W; ++j) x(i, j) = y(i, j);
        for (std::size_t j = W; j < Q; ++j) {
            const double t = s(j - W, Q - W);
            x(i, j) = (1 - t) * y(i, W - 1) + t * y(i, 0);
        }
    }
    for (std::size_t i = H; i < P; ++i) {
        const double t = s(i - H, P - H);
        for (std::size_t j = 0; j < Q; ++j) x(i, j) = (1 - t) * x(H - 1, j) + t * x(0, j);
    }
    return x;
}

inline Image<double> crop_clamp(const Image<double>& x, std::size_t top, std::size_t left, std::size_t h,
                                std::size_t w) {
    Image<double> out({h, w});
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) out(i, j) = std::clamp(x(i + top, j + left), 0.0, 1.0);
    return out;
}

}  // namespace detail

/// Runs one non-blind method on the gray plane y (values in [0, 1]).
/// Throws UsageError for settings the method cannot use, Failure when the
/// solver diverged, Interrupted when SIGINT stopped it.
inline DeblurOutcome deblur_plane(const Image<double>& y, const Image<double>& kernel, const DeblurSettings& s,
                                  SolverHook hook) {
    const MethodInfo* info = find_method(s.method);
    if (!info || !info->needs_kernel) throw UsageError("option '--method': '" + s.method + "' is not a non-blind method");
    const std::size_t H = y.shape()[0], W = y.shape()[1];
    check_kernel_fits(kernel, H, W);
    DeblurOutcome out;
    out.boundary = resolve_boundary(s.method, s.boundary, kernel, {H, W});
    const Boundary b = out.boundary;
    const std::size_t kh = kernel.shape()[0], kw = kernel.shape()[1];
    const bool valid = b == Boundary::valid;
    const Shape<2> dom = valid ? Shape<2>{H + kh - 1, W + kw - 1} : Shape<2>{H, W};
    const std::size_t top = valid ? kh - 1 - kh / 2 : 0, left = valid ? kw - 1 - kw / 2 : 0;
    const Image<double> x0 = valid ? detail::pad_replicate(y, dom, top, left) : y;
    ops::Convolution<double> A(kernel, dom, b);
    // Differences with the boundary that keeps AᵀA + λDᵀD transform-diagonal.
    const Boundary grad_b = b == Boundary::periodic ? Boundary::periodic : Boundary::reflect;

    // The learned denoiser costs ~100x a TV step and does its work in few
    // iterations (Zhang et al.'s DPIR uses 8): a smaller default budget.
    const bool learned = info->takes_denoiser && s.denoiser == "cnn";
    out.max_iter = s.iters.value_or(learned ? cnn_default_iters : info->default_iters);
    hook.max_iter = out.max_iter;
    out.lambda = s.lambda.value_or(info->default_lambda);
    const double sigma = s.sigma;
    std::vector<double> trace;
    if (hook.reference && hook.psnr_trace == nullptr) {
        trace.reserve(std::size_t(out.max_iter) + 1);  // the hook then never allocates
        hook.psnr_trace = &trace;
    }

    auto take = [&](auto&& r) {
        out.status = r.status;
        out.iterations = r.iterations;
        out.message = r.message;
        out.history = std::move(r.history);
        if (r.status == Status::stopped && interrupt_requested()) throw Interrupted();
        if (r.status == Status::diverged)
            throw Failure("method " + s.method + " diverged (" + r.message +
                          "); try a larger --lambda or fewer --iters. No output written");
        out.x = detail::crop_clamp(r.x, top, left, H, W);
    };

    CooperativeSection cooperative;
    const std::string& m = s.method;
    if (m == "inverse" || m == "wiener") {
        if (m == "wiener") out.lambda = s.lambda.value_or(100 * sigma * sigma);
        const double nsr = m == "inverse" ? 1e-15 : out.lambda;
        // No transform fits the reflect model (asymmetric kernel) and the user
        // did not ask for a boundary: periodic model on a smoothly periodized
        // copy of y (even sizes, kernel-sized margins), cropped back.
        if (!s.boundary && b == Boundary::periodic) {
            out.smooth_extension = true;
            const std::size_t P = (H + 2 * kh + 1) / 2 * 2, Q = (W + 2 * kw + 1) / 2 * 2;
            const Image<double> yp = detail::smooth_periodic_pad(y, P, Q);
            ops::Convolution<double> Ap(kernel, {P, Q}, Boundary::periodic);
            take(lucid::wiener(Ap, yp, {.nsr = nsr}));
        } else {
            take(lucid::wiener(A, y, {.nsr = nsr}));
        }
    } else if (m == "tikhonov") {
        // Ctrl-C stops the CG path (no progress line or PSNR trace: CG's steps are not --iters).
        take(lucid::tikhonov(A, y, out.lambda, ops::Gradient<double>(dom, grad_b), {},
                             [](const auto&) { return interrupt_requested(); }));
    } else if (m == "richardson-lucy") {
        take(lucid::richardson_lucy(A, y, {.max_iter = out.max_iter, .tv_lambda = out.lambda}, hook));
    } else if (m == "fista-wavelet") {
        const auto maxdim = std::max(dom[0], dom[1]);
        int levels = 1;
        while (levels < 3 && (std::size_t(1) << (levels + 1)) <= maxdim) ++levels;
        ops::StationaryWavelet2D<double> Wt("db4", dom, levels);
        take(lucid::fista(LeastSquares(A, y), WaveletL1(std::move(Wt), out.lambda), x0,
                          {.max_iter = out.max_iter, .tol = 1e-5}, hook));
    } else if (m == "fista-tv") {
        take(lucid::fista(LeastSquares(A, y), TotalVariation<double>(out.lambda), x0,
                          {.max_iter = out.max_iter, .tol = 1e-5}, hook));
    } else if (m == "admm-tv") {
        // Inner CG (only without a DCT/FFT x-update): warm-started, so a loose
        // tolerance suffices; 1e-8 costs ~3x more for no visible change.
        take(lucid::admm_tv(A, y, out.lambda, x0, {.max_iter = out.max_iter, .cg_max_iter = 20, .cg_tol = 1e-5},
                            hook));
    } else if (m == "hqs-tv") {
        take(lucid::hqs_tv(A, y, out.lambda, x0, {.max_iter = out.max_iter, .cg_max_iter = 20, .cg_tol = 1e-5}, hook));
    } else if (m == "pdhg-tv") {
        auto K = lucid::stack(A, ops::Gradient<double>(dom, Boundary::reflect));
        auto g = lucid::separable_sum(SquaredL2(1.0, y), L21Norm<double>(out.lambda));
        take(lucid::pdhg(Zero<double>(), std::move(g), std::move(K), x0, {.max_iter = out.max_iter}, hook));
    } else {
        // Denoiser-driven methods. σ_n = --sigma; the schedule starts high and
        // decreases to σ_n (PnP), or stays at σ_n (RED).
        const double sn = std::max(sigma, 1e-3);
        if (m == "pnp-admm" || m == "pnp-hqs") {
            // Prior weight λ = c·σ_n², c per denoiser, measured on the demo's
            // blurs (CNN: HQS 0.3 is 0.6-3 dB better than 0.1 or 1) and on a
            // 48x48 crop (NLM: 1 is 1.7 dB better than 0.1 for ADMM).
            const double c = learned ? (m == "pnp-admm" ? 1.0 : 0.3) : s.denoiser == "nlm" ? 1.0 : 0.1;
            out.lambda = s.lambda.value_or(c * sn * sn);
        }
        const int n = out.max_iter;
        const double s_hi = std::min(0.15, std::max(10 * sn, 0.03));
        SigmaSchedule decreasing{.initial = s_hi, .final = sn, .steps = std::max(1, n)};
        // CG x-steps (kernels without a DCT/FFT path): with the CNN's few
        // outer iterations and small penalties an inexact x-step costs ~2 dB
        // (motion blur, 20 vs 100 steps); with the cheap denoisers 20 suffice.
        const int cg_steps = learned ? 100 : 20;
        const double cg_tol = learned ? 1e-6 : 1e-5;
        detail::with_denoiser(s.denoiser, [&](auto d) {
            if (m == "pnp-admm") {
                take(lucid::pnp_admm(LeastSquares(A, y), std::move(d), x0,
                                     {.max_iter = n,
                                      .lambda = out.lambda,
                                      .sigma = decreasing,
                                      .tol = 1e-5,
                                      .cg_max_iter = cg_steps,
                                      .cg_tol = cg_tol}, hook));
            } else if (m == "pnp-hqs") {
                take(lucid::pnp_hqs(LeastSquares(A, y), std::move(d), x0,
                                    {.max_iter = n,
                                     .lambda = out.lambda,
                                     .sigma = decreasing,
                                     .cg_max_iter = cg_steps,
                                     .cg_tol = cg_tol}, hook));
            } else if (m == "pnp-fista") {
                take(lucid::pnp_fista(LeastSquares(A, y), std::move(d), x0,
                                      {.max_iter = n, .sigma = {.initial = sn}}, hook));
            } else if (m == "red") {
                take(lucid::red(LeastSquares(A, y), std::move(d), x0,
                                {.max_iter = n,
                                 .lambda = out.lambda,
                                 .sigma = {.initial = sn},
                                 .cg_max_iter = cg_steps,
                                 .cg_tol = cg_tol}, hook));
            } else {
                throw UsageError("option '--method': unknown method '" + m + "'");
            }
            return 0;
        }, s.ensemble);
    }
    if (hook.psnr_trace == &trace) out.psnr_trace = std::move(trace);
    return out;
}

}  // namespace lucid::cli
