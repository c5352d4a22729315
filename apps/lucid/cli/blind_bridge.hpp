#pragma once
// Blind deconvolution (lucid::blind) for `deblur --method blind` and
// `estimate-kernel`. The library part may be absent from a checkout (it is
// optional); the tool then fails with one clear line instead of not building.

#include <algorithm>
#include <optional>
#include <string>

#include "cli/common.hpp"
#include "cli/progress.hpp"

#if __has_include("lucid/blind/deblur.hpp")
#include "lucid/blind/deblur.hpp"
#define LUCID_CLI_HAVE_BLIND 1
#else
#define LUCID_CLI_HAVE_BLIND 0
#endif

namespace lucid::cli {

struct BlindOutcome {
    ImageStack<double> x;     ///< restored image (empty when only the kernel was asked for)
    Image<double> kernel;     ///< n×n, sums to 1
    int iterations = 0;       ///< alternations run over all pyramid levels
    int max_iter = 0;         ///< alternations per level
    double lambda = 0;        ///< TV weight of the deconvolution
    std::string message;
};

inline bool blind_available() { return LUCID_CLI_HAVE_BLIND != 0; }

/// Fails (exit 1) before any work when this build has no lucid::blind.
inline void require_blind_available() {
    if (!blind_available())
        throw Failure("blind deconvolution is not available in this build: lucid::blind "
                      "(include/lucid/blind/deblur.hpp) is missing");
}

/// The image must be at least 2·size + 1 pixels on each side (the estimator's pyramid needs it).
inline void check_blind_size(std::size_t size, std::size_t h, std::size_t w) {
    if (std::min(h, w) < 7)  // no --size (≥ 3) fits: the image, not the option, is the problem
        throw Failure("IN: blind deconvolution needs an image of at least 7x7 (got " + std::to_string(h) + "x" +
                      std::to_string(w) + ")");
    if (h < 2 * size + 1 || w < 2 * size + 1)
        throw UsageError("option '--size': " + std::to_string(size) + " is too large for this " + std::to_string(h) +
                         "x" + std::to_string(w) + " image (at most (min(H, W) - 1)/2 = " +
                         std::to_string((std::min(h, w) - 1) / 2) + ")");
}

/// Estimates the kernel of y (luma for colour) and, when `restore`, deconvolves
/// every channel with it (ADMM-TV, lucid::blind's default).
inline BlindOutcome run_blind(const ImageStack<double>& y, int size, std::optional<int> iters, Progress& progress,
                              bool restore = true, std::optional<double> lambda = std::nullopt) {
    require_blind_available();
    BlindOutcome out;
#if LUCID_CLI_HAVE_BLIND
    check_blind_size(std::size_t(size), y.shape()[1], y.shape()[2]);
    blind::DeblurOptions o;
    o.estimation.kernel_size = std::size_t(size);
    if (iters) o.estimation.iterations = *iters;
    if (lambda) o.deconvolution.lambda = *lambda;
    out.lambda = o.deconvolution.lambda;
    out.max_iter = o.estimation.iterations;
    int count = 0;
    // Progress and Ctrl-C: the estimator calls back after every alternation.
    auto cb = [&](const blind::KernelProgress<double>& p) {
        ++count;
        progress.update(p.iteration, p.iterations, std::numeric_limits<double>::quiet_NaN(),
                        std::numeric_limits<double>::quiet_NaN());
        return interrupt_requested();
    };
    CooperativeSection cooperative;
    auto est = naming("IN", [&] { return blind::estimate_kernel(y, o.estimation, cb); });
    check_interrupt();
    out.kernel = std::move(est.kernel);
    out.iterations = count;
    out.message = est.message;
    if (restore) {
        progress.note("deconvolving");
        auto r = naming("IN", [&] { return blind::deconvolve(y, out.kernel, o.deconvolution); });
        if (r.status == Status::diverged) throw Failure("blind deconvolution diverged (" + r.message + ")");
        out.x = std::move(r.x);
        for (auto& v : out.x) v = std::clamp(v, 0.0, 1.0);
    }
#else
    (void)y, (void)size, (void)iters, (void)progress, (void)restore, (void)lambda;
#endif
    return out;
}

}  // namespace lucid::cli
