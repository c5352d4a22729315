#pragma once
// lucid polyblur IN OUT [--iters N] [--alpha A] [--beta B] [--no-halo-removal] [--direction RULE] [--stop-below S]
// lucid estimate-blur IN [--direction RULE] [--json]

#include <string>
#include <vector>

#include "cli/common.hpp"
#include "cli/progress.hpp"
#include "cli/quality.hpp"
#include "lucid/polyblur/polyblur.hpp"

namespace lucid::cli {

/// `--direction RULE`: how the blur estimator reads theta (EstimateOptions::direction).
inline OptionSpec direction_option() {
    return {"direction", true, "RULE",
            "argmin | sinusoid_fit | power_spectrum: how theta is found (default argmin, POLYBLUR.md 2.6; "
            "power_spectrum is the most accurate on photos)"};
}

/// The estimator's direction rule from `--direction` (default argmin).
inline lucid::polyblur::DirectionRule read_direction(const Args& args) {
    return lucid::polyblur::parse_direction_rule(args.choice("direction", "argmin", {"argmin", "sinusoid_fit", "power_spectrum"}));
}

/// The options of a Polyblur run besides --iters (`lucid polyblur`, and
/// `lucid deblur --method polyblur`).
inline std::vector<OptionSpec> polyblur_options() {
    return {{"alpha", true, "A", "p''(1): mid-frequency boost, in [0, 1e6] (default 6)"},
            {"beta", true, "B", "p(0): high-frequency gain, in [0, 1e6] (default 1)"},
            {"no-halo-removal", false, "", "keep the raw deconvolution (no halo blending)"},
            {"stop-below", true, "S",
             "stop before a pass whose estimated sigma is below S pixels, >= 0 (default 0: never; 0.5 leaves "
             "sharp images unchanged, POLYBLUR.md 8)"},
            direction_option()};
}

/// PolyblurOptions from --alpha, --beta, --no-halo-removal, --stop-below, --direction (defaults otherwise).
inline lucid::polyblur::PolyblurOptions read_polyblur_options(const Args& args, int n_iter, const std::string& command) {
    lucid::polyblur::PolyblurOptions o;
    o.n_iter = n_iter;
    o.alpha = args.number("alpha", 6.0, "nonnegative");
    o.beta = args.number("beta", 1.0, "nonnegative");
    for (auto [name, v] : {std::pair{"alpha", o.alpha}, std::pair{"beta", o.beta}})
        if (v > lucid::polyblur::max_polynomial_weight)
            throw UsageError("lucid " + command + ": option '--" + name + "' must be <= 1e6 (got " + fmt(v) + ")");
    o.remove_halo = !args.flag("no-halo-removal");
    o.estimate.direction = read_direction(args);
    o.stop_below = args.number("stop-below", 0.0, "nonnegative");
    return o;
}

/// The parameters of a Polyblur run, for --json (`iters` optional: deblur reports it itself).
inline JsonObject polyblur_parameters_json(const lucid::polyblur::PolyblurOptions& o, bool with_iters = true) {
    JsonObject p;
    if (with_iters) p.add("iters", o.n_iter);
    p.add("alpha", o.alpha).add("beta", o.beta).add("halo_removal", o.remove_halo);
    p.add("direction", std::string(lucid::polyblur::to_string(o.estimate.direction)));
    p.add("stop_below", o.stop_below);
    return p;
}

inline CommandSpec polyblur_spec() {
    return {"polyblur",
            "Blind removal of mild blur (Delbracio et al. 2021): estimate an oriented Gaussian blur, deconvolve\n"
            "by polynomial reblurring p(K) = a3 K^3 + a2 K^2 + a1 K + a0, remove halos; repeat --iters times.\n"
            "Color images use one kernel for all channels.",
            {"IN", "OUT"},
            [] {
                std::vector<OptionSpec> o = {{"iters", true, "N", "estimate-deconvolve passes (default 3)"}};
                for (auto& p : polyblur_options()) o.push_back(p);
                for (auto p : {bit_depth_option(), reference_option(), json_option(), quiet_option(), threads_option(), max_pixels_option()})
                    o.push_back(p);
                return o;
            }()};
}

/// Runs Polyblur on a C×H×W image (one kernel for all channels).
inline lucid::polyblur::PolyblurResult<double, 3> run_polyblur(const ImageStack<double>& image,
                                                               const lucid::polyblur::PolyblurOptions& o) {
    return naming("IN", [&] { return lucid::polyblur::deblur(image, o); });
}

/// {sigma0, sigma1, theta} in pixels and degrees (DESIGN.md's names); theta_degrees repeats
/// theta under the name earlier versions used.
inline JsonObject blur_json(const lucid::polyblur::GaussianBlur& b) {
    JsonObject j;
    j.add("sigma0", b.sigma0).add("sigma1", b.sigma1).add("theta", b.theta_degrees());
    j.add("theta_degrees", b.theta_degrees());
    return j;
}

inline int run_polyblur_command(const std::vector<std::string>& argv) {
    const CommandSpec spec = polyblur_spec();
    Args args(spec, argv);
    if (args.help_requested()) {
        std::fputs(help_text(spec).c_str(), stdout);
        return exit_ok;
    }
    const CommonOptions common = read_common(args, spec);
    const std::optional<int> requested_depth = requested_bit_depth(args);
    const lucid::polyblur::PolyblurOptions o = read_polyblur_options(args, int(args.integer("iters", 3, 1, max_blind_iters)), "polyblur");
    const std::string in = args.positional(0), out_path = args.positional(1);
    auto input = read_image(in, "IN");
    const int bit_depth = output_bit_depth(requested_depth, input.info);
    check_output_path(out_path, "OUT", input.image.shape()[0]);
    auto ref = read_reference(args, input.image.shape());
    const auto& sh = input.image.shape();
    if (sh[1] <= 2 * std::size_t(o.estimate.border) || sh[2] <= 2 * std::size_t(o.estimate.border))
        throw Failure("IN: Polyblur needs an image larger than " + std::to_string(2 * o.estimate.border) +
                      " pixels in both dimensions (got " + std::to_string(sh[1]) + "x" + std::to_string(sh[2]) + ")");
    Stopwatch clock;
    auto r = run_polyblur(input.image, o);
    const double t = clock.seconds();
    std::optional<Quality> q;
    if (ref) q = quality(*ref, r.image);
    write_image(out_path, r.image, "OUT", bit_depth);
    if (common.json) {
        const JsonObject p = polyblur_parameters_json(o);
        std::vector<JsonObject> est;
        for (const auto& e : r.estimates) est.push_back(blur_json(e));
        JsonObject j;
        j.add("command", "polyblur").add("input", in).add("output", out_path).add("bit_depth", bit_depth).add("parameters", p);
        j.add("iterations", int(r.passes)).add("estimates", est).add("time_seconds", t);
        add_quality(j, q);
        std::printf("%s\n", j.str().c_str());
    } else if (!common.quiet) {
        std::printf("polyblur: %d passes in %.3f s, first estimate sigma0 %.3f sigma1 %.3f theta %.1f deg -> %s",
                    int(r.passes), t, r.estimates.at(0).sigma0, r.estimates.at(0).sigma1,
                    r.estimates.at(0).theta_degrees(), out_path.c_str());
        if (q) std::printf(" [PSNR %.2f dB, SSIM %.4f]", q->psnr, q->ssim);
        std::printf("\n");
    }
    return exit_ok;
}

inline CommandSpec estimate_blur_spec() {
    return {"estimate-blur",
            "Polyblur's blur estimator (POLYBLUR.md section 2): the oriented Gaussian blur of IN, as sigma0\n"
            "(std along the blur direction, pixels), sigma1 (across) and theta (degrees, counter-clockwise\n"
            "from the x axis, y up). Valid for mild blurs: sigma is clipped to [0.3, 4].",
            {"IN"},
            {direction_option(), json_option(), threads_option(), max_pixels_option()}};
}

inline int run_estimate_blur(const std::vector<std::string>& argv) {
    const CommandSpec spec = estimate_blur_spec();
    Args args(spec, argv);
    if (args.help_requested()) {
        std::fputs(help_text(spec).c_str(), stdout);
        return exit_ok;
    }
    const CommonOptions common = read_common(args, spec);
    lucid::polyblur::EstimateOptions eo;
    eo.direction = read_direction(args);
    auto input = read_image(args.positional(0), "IN");
    const auto& sh = input.image.shape();
    if (sh[1] <= 2 * std::size_t(eo.border) || sh[2] <= 2 * std::size_t(eo.border))
        throw Failure("IN: the blur estimator needs an image larger than " + std::to_string(2 * eo.border) +
                      " pixels in both dimensions (got " + std::to_string(sh[1]) + "x" + std::to_string(sh[2]) + ")");
    Stopwatch clock;
    const auto b = naming("IN", [&] { return lucid::polyblur::estimate_blur(input.image, eo); });
    const double t = clock.seconds();
    if (common.json) {
        JsonObject j = blur_json(b);
        j.add("command", "estimate-blur").add("input", args.positional(0));
        j.add("direction", std::string(lucid::polyblur::to_string(eo.direction))).add("time_seconds", t);
        std::printf("%s\n", j.str().c_str());
    } else {
        std::printf("sigma0 %.4f\nsigma1 %.4f\ntheta %.1f\n", b.sigma0, b.sigma1, b.theta_degrees());
    }
    return exit_ok;
}

}  // namespace lucid::cli
