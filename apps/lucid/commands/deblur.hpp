#pragma once
// lucid deblur IN OUT --kernel SPEC --method M [--lambda L] [--iters N] [--json]

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "cli/blind_bridge.hpp"
#include "cli/common.hpp"
#include "cli/deblur_engine.hpp"
#include "cli/kernel_arg.hpp"
#include "cli/progress.hpp"
#include "cli/quality.hpp"
#include "commands/blur.hpp"
#include "commands/polyblur.hpp"

namespace lucid::cli {

inline std::string methods_help() {
    std::string s = "methods (--lambda meaning, default iterations):\n";
    for (const auto& m : deblur_methods()) {
        std::string left = std::string("  ") + m.name;
        if (left.size() < 19) left.resize(19, ' ');
        s += left + m.summary + "\n";
        std::string extra;
        if (*m.lambda_meaning) {
            extra += std::string("--lambda: ") + m.lambda_meaning;
            if (std::isfinite(m.default_lambda) && m.default_lambda > 0)
                extra += " (default " + fmt(m.default_lambda) + ")";
        }
        if (m.default_iters > 0)
            extra += (extra.empty() ? "" : "; ") + std::string("--iters default ") + std::to_string(m.default_iters) +
                     (m.takes_denoiser ? " (cnn: " + std::to_string(cnn_default_iters) + ")" : "");
        if (!extra.empty()) s += std::string(19, ' ') + extra + "\n";
    }
    return s;
}

inline CommandSpec deblur_spec() {
    CommandSpec spec{"deblur",
            "Restores IN = k * x + noise. Non-blind methods need --kernel; polyblur and blind estimate the\n"
            "blur themselves. Color images are restored channel by channel with the same kernel; the\n"
            "result is clamped to [0,1].\n\n" +
                methods_help(),
            {"IN", "OUT"},
            {{"kernel", true, "SPEC", kernel_spec_help()},
             {"method", true, "M", "deconvolution method (see above; required)"},
             {"lambda", true, "L", "regularization weight, >= 1e-12 (meaning per method, above)"},
             {"iters", true, "N", "iteration budget, >= 1"},
             {"boundary", true, "B",
              "periodic | zero | reflect | replicate | valid (default reflect; inverse/wiener: reflect for "
              "symmetric kernels, else periodic on a smoothly periodized copy of IN)"},
             {"denoiser", true, "D", "tv | wavelet | nlm | cnn: prior of pnp-admm, pnp-hqs, pnp-fista, red (default tv)"},
             {"ensemble", true, "N",
              "1 | 2 | 4 | 8: average the cnn prior over N flips/transposes of the grid (N times the cost; "
              "default 1)"},
             {"sigma", true, "S", "noise standard deviation of IN on the [0,1] scale, in [1e-6, 1] (default 0.01)"},
             {"size", true, "N", "blind: kernel size bound, odd, >= 3 (default 15)"},
             bit_depth_option(), reference_option(), json_option(), quiet_option(), threads_option(), max_pixels_option()}};
    // polyblur's own options (as in `lucid polyblur`), marked as such in the help
    for (OptionSpec o : polyblur_options()) {
        o.help = "polyblur: " + o.help;
        spec.options.push_back(o);
    }
    return spec;
}

inline int run_deblur(const std::vector<std::string>& argv) {
    const CommandSpec spec = deblur_spec();
    Args args(spec, argv);
    if (args.help_requested()) {
        std::fputs(help_text(spec).c_str(), stdout);
        return exit_ok;
    }
    const CommonOptions common = read_common(args, spec);
    const std::optional<int> requested_depth = requested_bit_depth(args);
    if (!args.has("method")) throw UsageError("lucid deblur: option '--method M' is required (see 'lucid deblur --help')");
    const std::string method = args.choice("method", "admm-tv", method_names());
    const MethodInfo& info = *find_method(method);

    DeblurSettings s;
    s.method = method;
    if (args.has("lambda")) {
        if (!*info.lambda_meaning)
            throw UsageError("lucid deblur: option '--lambda' does not apply to method " + method);
        s.lambda = args.number("lambda", 0, method == "richardson-lucy" ? "nonnegative" : "positive");
        check_weight("deblur", *s.lambda, method == "richardson-lucy");
    }
    if (args.has("iters")) {
        if (info.default_iters == 0 && method != "blind")
            throw UsageError("lucid deblur: option '--iters' does not apply to method " + method + " (closed form)");
        s.iters = int(args.integer("iters", 1, 1, method == "polyblur" || method == "blind" ? max_blind_iters : 100000));
    }
    if (args.has("boundary")) {
        if (!info.needs_kernel) throw UsageError("lucid deblur: option '--boundary' does not apply to method " + method);
        s.boundary = parse_boundary(args.choice("boundary", "reflect", boundary_names()));
    }
    if (args.has("denoiser")) {
        if (!info.takes_denoiser)
            throw UsageError("lucid deblur: option '--denoiser' applies to pnp-admm, pnp-hqs, pnp-fista and red only");
        s.denoiser = args.choice("denoiser", "tv", denoiser_names());
    }
    if (args.has("ensemble")) {
        if (!info.takes_denoiser || s.denoiser != "cnn")
            throw UsageError("lucid deblur: option '--ensemble' applies to --denoiser cnn with pnp-admm, pnp-hqs, "
                             "pnp-fista and red only");
        const long n = args.integer("ensemble", 1, 1, 8);
        if (n != 1 && n != 2 && n != 4 && n != 8)
            throw UsageError("lucid deblur: option '--ensemble' must be 1, 2, 4 or 8 (got " + std::to_string(n) + ")");
        s.ensemble = int(n);
    }
    if (args.has("sigma") && !uses_sigma(info, args.has("lambda")))
        throw UsageError("lucid deblur: option '--sigma' applies to wiener (without --lambda), pnp-admm, pnp-hqs, "
                         "pnp-fista and red only");
    s.sigma = args.number("sigma", 0.01, "positive");
    check_noise_sigma("deblur", s.sigma);
    if (s.denoiser == "cnn" && info.takes_denoiser && s.sigma > 50.0 / 255)
        throw UsageError("lucid deblur: option '--sigma' must be <= 0.196 (50/255, the CNN's training range) with "
                         "--denoiser cnn (got " + fmt(s.sigma) + ")");
    if (method != "polyblur")
        for (const OptionSpec& o : polyblur_options())
            if (o.takes_value ? args.has(o.name) : args.flag(o.name))
                throw UsageError("lucid deblur: option '--" + o.name + "' applies to --method polyblur only");
    if (args.has("size") && method != "blind")
        throw UsageError("lucid deblur: option '--size' applies to --method blind only");
    const long blind_size = args.integer("size", 15, 3, 255);
    if (blind_size % 2 == 0) throw UsageError("lucid deblur: option '--size' must be odd (got " + std::to_string(blind_size) + ")");

    std::optional<Image<double>> kernel;
    std::string kernel_spec;
    if (info.needs_kernel) {
        if (!args.has("kernel"))
            throw UsageError("lucid deblur: option '--kernel SPEC' is required for method " + method);
        kernel_spec = *args.text("kernel");
        kernel = parse_kernel_arg(kernel_spec);
    } else if (args.has("kernel")) {
        throw UsageError("lucid deblur: option '--kernel' does not apply to method " + method +
                         " (it estimates the blur itself)");
    }
    if (method == "blind") require_blind_available();

    const std::string in = args.positional(0), out_path = args.positional(1);
    auto input = read_image(in, "IN");
    const int bit_depth = output_bit_depth(requested_depth, input.info);
    const ImageStack<double>& y = input.image;
    const std::size_t C = y.shape()[0], H = y.shape()[1], W = y.shape()[2];
    check_output_path(out_path, "OUT", C);
    auto ref = read_reference(args, y.shape());
    if (kernel) check_kernel_fits(*kernel, H, W);
    if (method == "fista-wavelet" && std::max(H, W) < 2)  // one wavelet level needs 2 samples along an axis
        throw Failure("IN: fista-wavelet needs an image with at least 2 pixels along one axis (got 1x1)");

    Progress progress("lucid deblur " + method, !common.quiet && stderr_is_terminal());
    Stopwatch clock;
    ImageStack<double> x(y.shape());
    JsonObject extra;
    int iterations = 0, max_iter = 0;
    std::string status = "converged", message;
    std::vector<double> objective;
    double lambda_used = std::numeric_limits<double>::quiet_NaN();
    Boundary boundary_used = s.boundary.value_or(Boundary::reflect);
    std::optional<lucid::polyblur::PolyblurOptions> polyblur_used;
    if (method == "polyblur") {
        const lucid::polyblur::PolyblurOptions o = read_polyblur_options(args, s.iters.value_or(3), "deblur");
        polyblur_used = o;
        if (H <= 2 * std::size_t(o.estimate.border) || W <= 2 * std::size_t(o.estimate.border))
            throw Failure("IN: Polyblur needs an image larger than " + std::to_string(2 * o.estimate.border) +
                          " pixels in both dimensions (got " + std::to_string(H) + "x" + std::to_string(W) + ")");
        progress.note("polyblur");
        auto r = run_polyblur(y, o);
        x = std::move(r.image);
        iterations = int(r.passes);  // fewer than n_iter when --stop-below ends the run early
        max_iter = o.n_iter;
        std::vector<JsonObject> est;
        for (const auto& e : r.estimates) est.push_back(blur_json(e));
        extra.add("estimates", est);
    } else if (method == "blind") {
        BlindOutcome r = run_blind(y, int(blind_size), s.iters, progress, true, s.lambda);
        lambda_used = r.lambda;
        x = std::move(r.x);
        iterations = r.iterations;
        max_iter = r.max_iter;
        message = r.message;
        extra.add("kernel_size", std::vector<double>{double(r.kernel.shape()[0]), double(r.kernel.shape()[1])});
    } else {
        for (std::size_t c = 0; c < C; ++c) {
            SolverHook hook;
            hook.progress = &progress;
            DeblurOutcome r = deblur_plane(plane_of(y, c), *kernel, s, hook);
            set_plane(x, c, r.x);
            iterations = std::max(iterations, r.iterations);
            max_iter = r.max_iter;
            lambda_used = r.lambda;
            boundary_used = r.boundary;
            message = r.message;
            if (r.status != Status::converged) status = std::string(to_string(r.status));
            const auto& h = r.history.objective;
            if (c == 0) objective = h;
            else
                for (std::size_t i = 0; i < std::min(objective.size(), h.size()); ++i) objective[i] += h[i];
            if (c > 0 && h.size() < objective.size()) objective.resize(h.size());
        }
    }
    const double t = clock.seconds();
    progress.finish();
    check_interrupt();
    std::optional<Quality> q;
    if (ref) q = quality(*ref, x);
    write_image(out_path, x, "OUT", bit_depth);

    if (common.json) {
        JsonObject p;
        p.add("method", method);
        if (info.needs_kernel) {
            p.add("kernel", kernel_spec).add("boundary", std::string(to_string(boundary_used)));
            p.add("kernel_size", std::vector<double>{double(kernel->shape()[0]), double(kernel->shape()[1])});
        }
        if (*info.lambda_meaning) p.add("lambda", lambda_used);
        if (max_iter > 0) p.add("iters", max_iter);
        if (info.takes_denoiser) p.add("denoiser", s.denoiser);
        if (info.takes_denoiser && s.denoiser == "cnn") p.add("ensemble", s.ensemble);
        if (uses_sigma(info, s.lambda.has_value())) p.add("sigma", s.sigma);
        if (method == "blind") p.add("size", blind_size);
        if (method == "polyblur") p.merge(polyblur_parameters_json(*polyblur_used, false));
        JsonObject j;
        j.add("command", "deblur").add("input", in).add("output", out_path).add("bit_depth", bit_depth).add("parameters", p);
        j.add("shape", std::vector<double>{double(C), double(H), double(W)});
        j.add("iterations", iterations).add("status", status).add("message", message).add("time_seconds", t);
        if (!objective.empty()) j.add("objective", objective);
        j.merge(extra);
        add_quality(j, q);
        std::printf("%s\n", j.str().c_str());
    } else if (!common.quiet) {
        std::printf("deblur: %s", method.c_str());
        if (std::isfinite(lambda_used) && *info.lambda_meaning) std::printf(", lambda %.4g", lambda_used);
        if (max_iter > 0) std::printf(", %d iterations (%s)", iterations, status.c_str());
        std::printf(" in %.3f s -> %s", t, out_path.c_str());
        if (q) std::printf(" [PSNR %.2f dB, SSIM %.4f]", q->psnr, q->ssim);
        std::printf("\n");
    }
    return exit_ok;
}

}  // namespace lucid::cli
