#pragma once
// lucid demo [--out DIR]: the lecture in one command. Simulates three blurs
// with noise on a shipped photo, restores each with eight methods, and writes
// every image, a labelled comparison, convergence plots and report.md.

#include <cmath>
#include <filesystem>
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
#include "lucid/ops/toeplitz.hpp"
#include "render/canvas.hpp"
#include "render/svg_plot.hpp"

#ifndef LUCID_DATA_DIR
#define LUCID_DATA_DIR "data"
#endif

namespace lucid::cli {

namespace demo {

struct Case {
    std::string name;   ///< file-name prefix
    std::string title;  ///< for the report
    std::string spec;   ///< kernel SPEC
};

inline const std::vector<Case>& cases() {
    static const std::vector<Case> c = {
        {"toeplitz", "Toeplitz row blur [1 2 3 4 3 2 1]/16 (the lecture's /15, normalized)", "toeplitz:1,2,3,4,3,2,1"},
        {"gaussian", "Gaussian blur, sigma = 2 px", "gaussian:sigma=2"},
        {"motion", "Motion blur, 15 px at 45 degrees", "motion:length=15,angle=45"},
    };
    return c;
}

/// The restorations of the demo, in the order of the report; the last one,
/// blind deconvolution, only when this build has lucid::blind.
inline const std::vector<std::string>& methods() {
    static const std::vector<std::string> m = [] {
        std::vector<std::string> v = {"inverse",       "wiener",  "tikhonov", "richardson-lucy",
                                      "fista-wavelet", "admm-tv", "pnp",      "polyblur"};
        if (blind_available()) v.push_back("blind");
        return v;
    }();
    return m;
}

inline std::string label_of(const std::string& m) {
    if (m == "inverse") return "naive inverse";
    if (m == "wiener") return "Wiener";
    if (m == "tikhonov") return "Tikhonov";
    if (m == "richardson-lucy") return "Richardson-Lucy";
    if (m == "fista-wavelet") return "FISTA-wavelet";
    if (m == "admm-tv") return "ADMM-TV";
    if (m == "pnp") return "PnP";
    if (m == "polyblur") return "Polyblur";
    if (m == "blind") return "blind (est. k)";
    return m;
}

struct Run {
    std::string method;
    Image<double> x;
    Quality q;
    double seconds = 0;
    int iterations = 0;
    std::string status;
    std::string params;  ///< what the report's "parameters" column shows
    std::vector<double> objective, residual, psnr;
    std::string command;  ///< the equivalent `lucid deblur` command
    Image<double> kernel; ///< the estimated kernel (blind only)
};

struct CaseResult {
    Case c;
    Image<double> blurred;
    Quality q_blurred;
    std::vector<Run> runs;
};

/// Eigenvalues λ_q = Σ_e k[e] cos(π q e / W) of a symmetric row kernel under
/// the reflect boundary (DCT-II diagonalization); returns min and max |λ_q|.
inline std::pair<double, double> row_symbol_range(const Image<double>& k, std::size_t W) {
    const std::ptrdiff_t c = std::ptrdiff_t(k.shape()[1] / 2);
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (std::size_t q = 0; q < W; ++q) {
        double l = 0;
        for (std::ptrdiff_t e = -c; e <= c; ++e) l += k(0, std::size_t(c + e)) * std::cos(M_PI * double(q) * double(e) / double(W));
        lo = std::min(lo, std::abs(l)), hi = std::max(hi, std::abs(l));
    }
    return {lo, hi};
}

/// How many of the W eigenvalues above have |λ_q| < threshold.
inline std::size_t small_eigenvalues(const Image<double>& k, std::size_t W, double threshold) {
    const std::ptrdiff_t c = std::ptrdiff_t(k.shape()[1] / 2);
    std::size_t n = 0;
    for (std::size_t q = 0; q < W; ++q) {
        double l = 0;
        for (std::ptrdiff_t e = -c; e <= c; ++e) l += k(0, std::size_t(c + e)) * std::cos(M_PI * double(q) * double(e) / double(W));
        n += std::abs(l) < threshold;
    }
    return n;
}

}  // namespace demo

inline CommandSpec demo_spec() {
    return {"demo",
            "The lecture's deblurring cases on a shipped photo (data/camera.png, 256x256): a Toeplitz row blur\n"
            "[1,2,3,4,3,2,1]/16 (where the naive inverse fails), a Gaussian and a motion blur, each with\n"
            "Gaussian noise sigma 0.01, restored by the naive inverse, Wiener, Tikhonov, Richardson-Lucy,\n"
            "FISTA-wavelet, ADMM-TV, plug-and-play (HQS with the learned CNN denoiser when its model is present,\n"
            "else ADMM with TV), Polyblur and blind deconvolution (kernel estimated). Writes into DIR every\n"
            "image (PNG), comparison.png (labelled side by side), convergence.svg (objective and PSNR per\n"
            "iteration) and report.md (PSNR / SSIM / time table).",
            {},
            {{"out", true, "DIR", "output directory, created if needed (default lucid-demo)"},
             {"image", true, "PATH", "another photo to use (read as gray, at least 64x64)"},
             {"noise", true, "SIGMA", "noise standard deviation (default 0.01)"},
             json_option(), quiet_option(), threads_option(), max_pixels_option()}};
}

inline int run_demo(const std::vector<std::string>& argv) {
    namespace fs = std::filesystem;
    using namespace demo;
    const CommandSpec spec = demo_spec();
    Args args(spec, argv);
    if (args.help_requested()) {
        std::fputs(help_text(spec).c_str(), stdout);
        return exit_ok;
    }
    const CommonOptions common = read_common(args, spec);
    const fs::path out_dir = args.text("out", "lucid-demo");
    const std::string image_path = args.text("image", std::string(LUCID_DATA_DIR) + "/camera.png");
    const double noise = args.number("noise", 0.01, "positive");
    if (noise > 0.5) throw UsageError("lucid demo: option '--noise' must be <= 0.5 (got " + fmt(noise) + ")");
    // checked now, written at the end as a whole (nothing is left behind on a failure)
    StagedDirectory out(out_dir, "lucid demo: option '--out'");
    // From here on SIGINT only raises the flag, polled between the steps, so
    // that the staging directory's destructor runs (a second SIGINT still ends at once).
    CooperativeSection cooperative;
    const Image<double> sharp =
        naming(args.has("image") ? "option '--image'" : "demo image", [&] { return lucid::io::read_gray<double>(image_path, {.max_pixels = detail::read_pixel_limit()}); });
    const std::size_t H = sharp.shape()[0], W = sharp.shape()[1];
    if (H < 64 || W < 64)
        throw UsageError("lucid demo: option '--image': the photo must be at least 64x64 (got " + std::to_string(H) +
                         "x" + std::to_string(W) + ")");

    // PnP: half-quadratic splitting with the learned CNN (DPIR-style, 8
    // iterations) when its weights are found, else ADMM with the TV denoiser.
    std::string pnp_denoiser = "cnn", pnp_method = "pnp-hqs";
    std::string pnp_note;
    try {
        (void)detail::cnn_denoiser();
    } catch (const lucid::Error& e) {
        pnp_denoiser = "tv";
        pnp_method = "pnp-admm";
        pnp_note = "the CNN model was not found (" + one_line(e.what()) + "), so PnP uses the TV denoiser";
    }

    const bool show = !common.quiet && stderr_is_terminal();
    Stopwatch total;
    std::vector<CaseResult> results;
    ImageStack<double> sharp_stack({1, H, W});
    std::copy(sharp.data(), sharp.data() + sharp.size(), sharp_stack.data());
    std::uint64_t seed = 1;
    for (const Case& c : cases()) {
        CaseResult cr;
        cr.c = c;
        const Image<double> k = parse_kernel_arg(c.spec);
        check_kernel_fits(k, H, W);
        const ImageStack<double> y3 = blur_image(sharp_stack, k, Boundary::reflect, noise, seed++);
        cr.blurred = plane_of(y3, 0);
        // What the observation file holds: 8-bit, clamped. Restore from exactly that.
        for (auto& v : cr.blurred) v = std::round(std::clamp(v, 0.0, 1.0) * 255) / 255;
        cr.q_blurred = quality(sharp, cr.blurred);
        for (const std::string& m : methods()) {
            Run run;
            run.method = m;
            Progress progress("lucid demo: " + c.name + " " + m, show);
            Stopwatch clock;
            const std::string blurred_name = c.name + "-blurred.png";
            if (m == "blind") {
                // Kernel support: 21 px covers the 15-px motion blur; smaller photos cap it.
                const std::size_t size = std::min<std::size_t>(21, ((std::min(H, W) - 1) / 2 - 1) | 1);
                ImageStack<double> yb({1, H, W});
                std::copy(cr.blurred.data(), cr.blurred.data() + cr.blurred.size(), yb.data());
                BlindOutcome r = run_blind(yb, int(size), std::nullopt, progress);
                run.x = plane_of(r.x, 0);
                run.kernel = std::move(r.kernel);
                run.iterations = r.iterations;
                run.status = "converged";
                run.params = "kernel " + std::to_string(size) + "x" + std::to_string(size) +
                             " estimated (L0 gradients, coarse to fine), then ADMM-TV lambda " + fmt(r.lambda, "%.3g");
                run.command = "lucid deblur " + blurred_name + " " + c.name + "-blind.png --method blind --size " +
                              std::to_string(size);
            } else if (m == "polyblur") {
                ImageStack<double> yb({1, H, W});
                std::copy(cr.blurred.data(), cr.blurred.data() + cr.blurred.size(), yb.data());
                auto r = run_polyblur(yb, {});
                run.x = plane_of(r.image, 0);
                run.iterations = int(r.estimates.size());
                run.status = "converged";
                run.params = "3 passes, alpha 6, beta 1; first estimate sigma0 " + fmt(r.estimates[0].sigma0, "%.2f") +
                             ", sigma1 " + fmt(r.estimates[0].sigma1, "%.2f");
                run.command = "lucid polyblur " + blurred_name + " " + c.name + "-polyblur.png";
            } else {
                DeblurSettings s;
                s.method = m == "pnp" ? pnp_method : m;
                s.sigma = noise;
                if (m == "pnp") s.denoiser = pnp_denoiser;
                SolverHook hook;
                hook.progress = &progress;
                hook.reference = &sharp;
                DeblurOutcome r = deblur_plane(cr.blurred, k, s, hook);
                run.x = std::move(r.x);
                run.iterations = r.iterations;
                run.status = std::string(to_string(r.status));
                run.objective = r.history.objective;
                run.residual = r.history.residual;
                run.psnr = std::move(r.psnr_trace);
                const MethodInfo& info = *find_method(s.method);
                if (*info.lambda_meaning) run.params = "lambda " + fmt(r.lambda, "%.3g");
                if (m == "richardson-lucy" && r.lambda == 0) run.params = "";
                if (r.max_iter > 0) run.params += std::string(run.params.empty() ? "" : ", ") + std::to_string(r.max_iter) + " it";
                if (info.takes_denoiser) run.params = s.method + ", denoiser " + s.denoiser + ", " + run.params;
                run.params += std::string(run.params.empty() ? "" : ", ") + "boundary " + std::string(to_string(r.boundary)) +
                              (r.smooth_extension ? " (smoothly periodized)" : "");
                run.command = "lucid deblur " + blurred_name + " " + c.name + "-" + m + ".png --kernel " + c.spec +
                              " --method " + s.method + (info.takes_denoiser ? " --denoiser " + s.denoiser : "") +
                              (noise != 0.01 && uses_sigma(info, false) ? " --sigma " + fmt(noise, "%g") : "");
                if (r.boundary != Boundary::reflect && m != "inverse" && m != "wiener")
                    run.command += " --boundary " + std::string(to_string(r.boundary));
            }
            run.seconds = clock.seconds();
            progress.finish();
            check_interrupt();
            run.q = quality(sharp, run.x);
            if (show)
                std::fprintf(stderr, "lucid demo: %-8s %-16s PSNR %6.2f dB  SSIM %.3f  %6.2f s\n", c.name.c_str(),
                             m.c_str(), run.q.psnr, run.q.ssim, run.seconds);
            cr.runs.push_back(std::move(run));
        }
        results.push_back(std::move(cr));
    }
    const double compute_seconds = total.seconds();

    // ---- comparison image ----------------------------------------------------
    std::size_t f = 1;
    while (std::max(H, W) / f > 256) ++f;
    const std::size_t th = H / f, tw = W / f, gap = 8, label_h = 40, title_h = 30;
    const std::size_t cols = 2 + methods().size();
    render::Canvas canvas(gap + cols * (tw + gap), gap + results.size() * (title_h + th + label_h) + gap);
    for (std::size_t r = 0; r < results.size(); ++r) {
        const CaseResult& cr = results[r];
        const std::ptrdiff_t y0 = std::ptrdiff_t(gap + r * (title_h + th + label_h));
        canvas.text(std::ptrdiff_t(gap), y0 + 6, cr.c.title + "  (noise sigma " + fmt(noise, "%g") + ")", 2, {0.1, 0.1, 0.45});
        auto tile = [&](std::size_t col, const Image<double>& img, const std::string& l1, const std::string& l2) {
            const std::ptrdiff_t x0 = std::ptrdiff_t(gap + col * (tw + gap)), yt = y0 + std::ptrdiff_t(title_h);
            canvas.blit(render::downscale(img, f), x0, yt);
            canvas.text(x0, yt + std::ptrdiff_t(th) + 4, l1, 2);
            canvas.text(x0, yt + std::ptrdiff_t(th) + 22, l2, 2, {0.25, 0.25, 0.25});
        };
        tile(0, sharp, "sharp", "reference");
        tile(1, cr.blurred, "blurred + noise", fmt(cr.q_blurred.psnr, "%.2f") + " dB " + fmt(cr.q_blurred.ssim, "%.3f"));
        for (std::size_t m = 0; m < cr.runs.size(); ++m) {
            tile(2 + m, cr.runs[m].x, label_of(cr.runs[m].method),
                 fmt(cr.runs[m].q.psnr, "%.2f") + " dB " + fmt(cr.runs[m].q.ssim, "%.3f"));
            // The estimated kernel, framed, in the tile's top-right corner.
            const Image<double>& k = cr.runs[m].kernel;
            if (k.size() > 0) {
                const std::size_t kf = std::max<std::size_t>(1, tw / (3 * k.shape()[1]));
                const Image<double> ki = render::kernel_image(k, kf);
                const auto x1 = std::ptrdiff_t(gap + (2 + m) * (tw + gap) + tw - ki.shape()[1] - 1);
                const auto y1 = y0 + std::ptrdiff_t(title_h) + 1;
                canvas.fill_rect(x1 - 1, y1 - 1, ki.shape()[1] + 2, ki.shape()[0] + 2, {0.9, 0.2, 0.1});
                canvas.blit(ki, x1, y1);
            }
        }
    }

    // ---- convergence plots --------------------------------------------------------
    const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
    std::vector<render::Panel> panels;
    for (const std::string m : {"richardson-lucy", "fista-wavelet", "admm-tv", "pnp"}) {
        render::Panel p;
        p.title = label_of(m);
        p.log_y = true;
        bool has_objective = false;
        for (const auto& cr : results)
            for (const auto& run : cr.runs)
                if (run.method == m)
                    for (double v : run.objective) has_objective = has_objective || std::isfinite(v);
        p.ylabel = has_objective ? (m == "richardson-lucy" ? "KL(y | Ax)" : "objective") : "residual (stopping rule)";
        if (m == "pnp") p.title += " (" + pnp_method + ", " + pnp_denoiser + ")";
        for (std::size_t r = 0; r < results.size(); ++r)
            for (const auto& run : results[r].runs)
                if (run.method == m)
                    p.series.push_back({results[r].c.name, has_objective ? run.objective : run.residual, colors[r % 4]});
        panels.push_back(std::move(p));
    }
    for (std::size_t r = 0; r < results.size(); ++r) {
        render::Panel p;
        p.title = "PSNR vs iteration: " + results[r].c.name;
        p.ylabel = "PSNR (dB)";
        p.legend_bottom = true;
        std::size_t ci = 0;
        for (const auto& run : results[r].runs)
            if (!run.psnr.empty()) p.series.push_back({label_of(run.method), run.psnr, colors[ci++ % 4]});
        panels.push_back(std::move(p));
    }
    const std::string svg = render::svg_figure("Convergence (" + std::to_string(results.size()) + " cases)", panels, 4);

    // ---- report -----------------------------------------------------------------
    std::string md = "# lucid demo report\n\n";
    md += "Image: `" + image_path + "` (" + std::to_string(H) + "x" + std::to_string(W) +
          ", gray). Each case blurs it with the `reflect` boundary, adds Gaussian noise of standard deviation " +
          fmt(noise, "%g") + " (seeds 1, 2, 3), rounds to 8 bits, and restores with the methods below. PSNR and SSIM "
          "against the sharp image; time is wall-clock on " + std::to_string(lucid::num_threads()) +
          " thread(s), excluding file output. Total compute time: " + fmt(compute_seconds, "%.1f") + " s.\n\n";
    md += "Re-run: `lucid demo --out " + out_dir.string() + "`. Every restoration is also one `lucid deblur` "
          "command, listed under each table.\n\n";
    if (!pnp_note.empty()) md += "Note: " + pnp_note + ".\n\n";
    md += "![comparison](comparison.png)\n\n";
    for (const auto& cr : results) {
        md += "## " + cr.c.title + "\n\n`--kernel " + cr.c.spec + "`; observation `" + cr.c.name + "-blurred.png`: PSNR " +
              fmt(cr.q_blurred.psnr, "%.2f") + " dB, SSIM " + fmt(cr.q_blurred.ssim, "%.3f") + ".\n\n";
        md += "| method | PSNR (dB) | SSIM | time (s) | iterations | parameters |\n|---|---:|---:|---:|---:|---|\n";
        for (const auto& run : cr.runs)
            md += "| [" + label_of(run.method) + "](" + cr.c.name + "-" + run.method + ".png) | " +
                  fmt(run.q.psnr, "%.2f") + " | " + fmt(run.q.ssim, "%.3f") + " | " + fmt(run.seconds, "%.2f") + " | " +
                  (run.iterations > 0 ? std::to_string(run.iterations) : "closed form") + " | " + run.params + " |\n";
        if (cr.c.name == "toeplitz") {
            const Image<double> k = parse_kernel_arg(cr.c.spec);
            const auto [lo, hi] = row_symbol_range(k, W);
            md += "\nWhy the naive inverse fails: with the reflect boundary the row blur is diagonalized by the DCT, "
                  "with eigenvalues lambda_q = sum_e k[e] cos(pi q e / W), q = 0.." + std::to_string(W - 1) + ". "
                  "They range from " + fmt(lo, "%.2g") + " to " + fmt(hi, "%.3g") + ", and " +
                  std::to_string(small_eigenvalues(k, W, 0.01)) + " of the " + std::to_string(W) +
                  " are below 0.01 in magnitude ([1 2 3 4 3 2 1] = [1 1 1 1] * [1 1 1 1] has a zero at a quarter "
                  "of the sampling rate): A^-1 multiplies the noise there by more than 100, up to 1/|lambda| "
                  "(the inverse filter zeroes exactly singular frequencies), and the noise swamps the image. Every "
                  "regularized method damps exactly those frequencies. (The lecture prints the weights /15, which sum "
                  "to 16/15; the SPEC normalizes them to sum 1. That scales A by 15/16 and leaves the zeros of its "
                  "symbol, hence the failure of A^-1, unchanged.)";
            // The lecture's own matrix: zero boundary, weights /15; A = I (x) T_W,
            // so cond(A) = cond(T_W) (Lanczos on one row's W x W matrix).
            const auto e = lucid::ops::extreme_singular_values(lucid::ops::lecture_blur_matrix<double>(1, W));
            md += " The lecture's matrix itself (zero boundary, /15) has singular values from " + fmt(e.min, "%.2g") +
                  " to " + fmt(e.max, "%.3g") + ": cond(A) = " + fmt(e.condition, "%.3g") + " for rows of " +
                  std::to_string(W) + " pixels (`lucid::ops::extreme_singular_values`).\n";
        }
        if (cr.c.name == "motion")
            md += "\nPolyblur is blind and models the blur as a Gaussian; a 15-pixel line is outside that model, "
                  "so it cannot undo it (it is here to show its limit, not as a competitor with the true kernel).\n";
        md += "\n<details><summary>commands (run in the output directory)</summary>\n\n```sh\nlucid blur sharp.png " + cr.c.name +
              "-blurred.png --kernel " + cr.c.spec + " --noise " + fmt(noise, "%g") + "\n";
        for (const auto& run : cr.runs) md += run.command + " --reference sharp.png\n";
        md += "```\n(`lucid blur` draws its own noise; the numbers above use the demo's seeds.)\n\n</details>\n\n";
    }
    md += "## Convergence\n\n![convergence](convergence.svg)\n\n"
          "Top row: each iterative method's own objective (Richardson-Lucy: the Kullback-Leibler data term; "
          "FISTA: 1/2|Ax-y|^2 + lambda|Wx|_1; ADMM-TV: 1/2|Ax-y|^2 + lambda TV(x); PnP has no objective, the "
          "quantity its stopping rule tests is shown). For the motion blur (no DCT path: the kernel is not "
          "axis-symmetric) ADMM-TV runs the generic ADMM, whose history is f(x) + g(z) with the split variable "
          "z = grad x starting at 0; hence its rise over the first iterations. Bottom row: PSNR of the iterate against the sharp image. Richardson-Lucy "
          "has no regularizer: its PSNR peaks and then falls as the iterates fit the noise (semi-convergence), so "
          "its iteration count is its regularization parameter.\n";

    // ---- write everything (into a staging directory, then moved into --out) -------
    check_interrupt();
    const std::string arg = "option '--out'";
    write_image(out.file("sharp.png").string(), sharp, arg);
    for (const auto& cr : results) {
        write_image(out.file(cr.c.name + "-blurred.png").string(), cr.blurred, arg);
        for (const auto& run : cr.runs) {
            write_image(out.file(cr.c.name + "-" + run.method + ".png").string(), run.x, arg);
            if (run.kernel.size() > 0)
                write_image(out.file(cr.c.name + "-blind-kernel.png").string(), render::kernel_image(run.kernel, 8), arg);
        }
    }
    write_image(out.file("comparison.png").string(), canvas.stack(), arg);
    write_text(out.file("convergence.svg"), svg, arg);
    write_text(out.file("report.md"), md, arg);
    out.commit();
    const double seconds = total.seconds();

    if (common.json) {
        JsonObject j;
        j.add("command", "demo").add("output", out_dir.string()).add("image", image_path).add("noise", noise);
        std::vector<JsonObject> cs;
        for (const auto& cr : results) {
            JsonObject cj;
            cj.add("case", cr.c.name).add("kernel", cr.c.spec).add("psnr_blurred", cr.q_blurred.psnr);
            std::vector<JsonObject> rs;
            for (const auto& run : cr.runs) {
                JsonObject rj;
                rj.add("method", run.method).add("psnr", run.q.psnr).add("ssim", run.q.ssim);
                rj.add("time_seconds", run.seconds).add("iterations", run.iterations).add("parameters", run.params);
                rs.push_back(std::move(rj));
            }
            cj.add("methods", rs);
            cs.push_back(std::move(cj));
        }
        j.add("cases", cs).add("pnp_denoiser", pnp_denoiser).add("time_seconds", seconds);
        j.add("report", (out_dir / "report.md").string());
        std::printf("%s\n", j.str().c_str());
    } else if (!common.quiet) {
        std::printf("lucid demo: %zu cases x %zu methods in %.1f s; report: %s\n", results.size(), methods().size(),
                    seconds, (out_dir / "report.md").string().c_str());
    }
    return exit_ok;
}

}  // namespace lucid::cli
