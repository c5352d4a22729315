#pragma once
// lucid denoise IN OUT --method tv|wavelet|nlm|cnn [--lambda L | --sigma S] [--iters N]

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cli/common.hpp"
#include "cli/denoisers.hpp"
#include "cli/progress.hpp"
#include "cli/quality.hpp"

namespace lucid::cli {

/// Noise standard deviation by the median absolute deviation of the finest
/// diagonal Haar coefficients (Donoho & Johnstone 1994): σ̂ = median|d|/0.6745,
/// d = (a − b − c + e)/2 over the disjoint 2×2 blocks of every channel.
inline double estimate_noise_sigma(const ImageStack<double>& y) {
    const std::size_t C = y.shape()[0], H = y.shape()[1], W = y.shape()[2];
    std::vector<double> d;
    d.reserve(C * (H / 2) * (W / 2));
    for (std::size_t c = 0; c < C; ++c)
        for (std::size_t i = 0; i + 1 < H; i += 2)
            for (std::size_t j = 0; j + 1 < W; j += 2)
                d.push_back(std::abs(y(c, i, j) - y(c, i, j + 1) - y(c, i + 1, j) + y(c, i + 1, j + 1)) / 2);
    if (d.empty()) return 0;
    auto mid = d.begin() + std::ptrdiff_t(d.size() / 2);
    std::nth_element(d.begin(), mid, d.end());
    return *mid / 0.6745;
}

inline CommandSpec denoise_spec() {
    return {"denoise",
            "Removes white Gaussian noise. Methods:\n"
            "  tv       min 1/2|x - y|^2 + L TV_iso(x) (forward differences, Neumann boundary; exact ROF by FGP);\n"
            "           --lambda L, or --sigma S for L = 0.8 S\n"
            "  wavelet  cycle-spun db4 hard thresholding at 3 sigma\n"
            "  nlm      non-local means (IPOL 2011 parameters for sigma)\n"
            "  cnn      lucid's learned bias-free CNN (data/models/cnn-denoiser.lcnn, or $LUCID_CNN_MODEL);\n"
            "           without --sigma it runs blind (estimates the noise itself)\n"
            "Without --sigma (and --lambda) the noise level is estimated from the image (MAD of Haar details).",
            {"IN", "OUT"},
            {{"method", true, "M", "tv | wavelet | nlm | cnn (required)"},
             {"lambda", true, "L", "TV weight (tv only), >= 1e-12"},
             {"sigma", true, "S", "noise standard deviation on the [0,1] scale, in [1e-6, 1]"},
             {"iters", true, "N", "tv: FGP iterations of the ROF solver (default 300)"},
             bit_depth_option(), reference_option(), json_option(), quiet_option(), threads_option(), max_pixels_option()}};
}

inline int run_denoise(const std::vector<std::string>& argv) {
    const CommandSpec spec = denoise_spec();
    Args args(spec, argv);
    if (args.help_requested()) {
        std::fputs(help_text(spec).c_str(), stdout);
        return exit_ok;
    }
    const CommonOptions common = read_common(args, spec);
    const std::optional<int> requested_depth = requested_bit_depth(args);
    if (!args.has("method")) throw UsageError("lucid denoise: option '--method M' is required (tv, wavelet, nlm, cnn)");
    const std::string method = args.choice("method", "tv", denoiser_names());
    if (args.has("lambda") && method != "tv")
        throw UsageError("lucid denoise: option '--lambda' applies to --method tv only (use --sigma)");
    if (args.has("lambda") && args.has("sigma"))
        throw UsageError("lucid denoise: give either '--lambda' or '--sigma', not both");
    if (args.has("iters") && method != "tv")
        throw UsageError("lucid denoise: option '--iters' applies to --method tv only");
    const double lambda = args.number("lambda", 0.0, "positive");
    if (args.has("lambda")) check_weight("denoise", lambda);
    std::optional<double> sigma;
    if (args.has("sigma")) sigma = args.number("sigma", 0.0, "positive");
    if (sigma) check_noise_sigma("denoise", *sigma);
    const int iters = int(args.integer("iters", 300, 1, 100000));
    if (method == "cnn" && sigma && *sigma > 50.0 / 255 * (1 + 1e-9))
        throw UsageError("lucid denoise: option '--sigma' must be <= 0.196 (50/255, the CNN's training range) for "
                         "--method cnn (got " + fmt(*sigma) + ")");

    const std::string in = args.positional(0), out_path = args.positional(1);
    auto input = read_image(in, "IN");
    const int bit_depth = output_bit_depth(requested_depth, input.info);
    const ImageStack<double>& y = input.image;
    check_output_path(out_path, "OUT", y.shape()[0]);
    auto ref = read_reference(args, y.shape());

    bool estimated = false;
    if (!sigma && lambda == 0 && method != "cnn") {
        sigma = std::max(estimate_noise_sigma(y), 1e-4);
        estimated = true;
    }
    Progress progress("lucid denoise " + method, !common.quiet && stderr_is_terminal());
    progress.note("running");
    Stopwatch clock;
    ImageStack<double> x(y.shape());
    double lambda_used = std::numeric_limits<double>::quiet_NaN();
    naming("IN", [&] {
        if (method == "tv") {
            denoisers::TvDenoiserParams p;
            p.lambda = lambda;
            p.prox.max_iter = iters;
            denoisers::TvDenoiser<double> d(p);
            const double s = sigma.value_or(1.0);
            lambda_used = d.lambda_for(s);
            d.denoise(y, s, x);
        } else if (method == "wavelet") {
            denoisers::WaveletDenoiser<double>{}.denoise(y, *sigma, x);
        } else if (method == "nlm") {
            denoisers::NonLocalMeans<double>{}.denoise(y, *sigma, x);
        } else {
            const auto& cnn = detail::cnn_denoiser();
            if (sigma) cnn.denoise(y, *sigma, x);
            else cnn.denoise_blind(y, x);
        }
        return 0;
    });
    const double t = clock.seconds();
    progress.finish();
    for (auto& v : x) v = std::clamp(v, 0.0, 1.0);
    std::optional<Quality> q;
    if (ref) q = quality(*ref, x);
    write_image(out_path, x, "OUT", bit_depth);
    if (common.json) {
        JsonObject p;
        p.add("method", method);
        if (sigma) p.add("sigma", *sigma).add("sigma_estimated", estimated);
        else p.raw("sigma", "null");
        if (method == "tv") p.add("lambda", lambda_used).add("iters", iters);
        JsonObject j;
        j.add("command", "denoise").add("input", in).add("output", out_path).add("bit_depth", bit_depth).add("parameters", p);
        j.add("time_seconds", t);
        add_quality(j, q);
        std::printf("%s\n", j.str().c_str());
    } else if (!common.quiet) {
        std::printf("denoise: %s", method.c_str());
        if (sigma) std::printf(", sigma %.4g%s", *sigma, estimated ? " (estimated)" : "");
        if (method == "tv") std::printf(", lambda %.4g", lambda_used);
        std::printf(" in %.3f s -> %s", t, out_path.c_str());
        if (q) std::printf(" [PSNR %.2f dB, SSIM %.4f]", q->psnr, q->ssim);
        std::printf("\n");
    }
    return exit_ok;
}

}  // namespace lucid::cli
