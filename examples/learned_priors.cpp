// Learned priors, measured: the CNN denoiser against TV, wavelet and NLM on
// held-out photos; PnP with the CNN against ADMM-TV for deblurring; and
// posterior sampling (Kadkhodaie-Simoncelli, DDPM/DiffPIR) for one blurred
// input: diversity (per-pixel std) and fidelity (PSNR, ‖A x − y‖).
//
//   build-*/examples/example_learned_priors [--smoke] [--section denoise|pnp|pnp-sweep|sampling|all]
//       [--samples N] [--threads N]
//       [--pnp-solver admm|hqs] [--pnp-iters N] [--pnp-initial S] [--pnp-final S]
//       [--pnp-lambda M] [--ensemble 1|2|4|8]       (PnP with the CNN: λ = M·σ_n², σ from S to S)
//       [--images a.png,b.png,...]                  (pnp, pnp-sweep: these photos instead of data/)
//       [--pnp-grid coarse|fine]                    (pnp-sweep: which grid, see pnp_grid)
//
// Prints the tables of docs/learned-priors.md. The pnp section compares one
// PnP setting (default: the one chosen on validation photos, see
// cnn_pnp_setting) with oracle-λ ADMM-TV; pnp-sweep prints the mean PSNR
// of a grid of PnP settings on the given photos (how the default was chosen
// — run it on validation photos, never on the test photos of data/).
// --smoke runs every section on one small crop (48×48; 32×32 for sampling)
// with one noise level, few iterations and two samples (CI; a few seconds).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "lucid/lucid.hpp"
#include "lucid/denoisers/cnn.hpp"
#include "lucid/kernels/gaussian.hpp"
#include "lucid/ops/convolution.hpp"
#include "lucid/sampling/sampling.hpp"
#if __has_include("lucid/solvers/pnp_admm.hpp") && __has_include("lucid/solvers/admm_tv.hpp")
#include "lucid/functionals/least_squares.hpp"
#include "lucid/solvers/admm_tv.hpp"
#include "lucid/solvers/pnp_admm.hpp"
#include "lucid/solvers/pnp_hqs.hpp"
#define LUCID_HAVE_PNP 1
#endif

using namespace lucid;
using T = float;

namespace {

struct Options {
    bool smoke = false;
    std::string section = "all";
    int samples = 4;
    /// PnP with the CNN. Defaults: the setting selected on the validation
    /// photos (docs/learned-priors.md, "Choosing the PnP setting").
    std::string pnp_solver = "hqs";  // admm | hqs
    int pnp_iters = 12;
    double pnp_initial = 49.0 / 255;  // first σ of the geometric schedule
    double pnp_final = 0.01;          // last σ
    double pnp_lambda = 0.18;         // λ as a multiple of σ_n² (ρ_k or μ_k = λ/σ_k²)
    int ensemble = 8;                 // geometric self-ensemble size (1 = the plain CNN)
    std::vector<std::string> images;  // --images: photos for pnp / pnp-sweep instead of data/
    std::string pnp_grid = "coarse";  // pnp-sweep: coarse | fine
};

struct Photo {
    std::string name;
    Image<T> x;
};

std::vector<Photo> held_out(const Options& o, bool allow_images = false) {
    std::vector<Photo> out;
    std::vector<std::pair<std::string, std::string>> files;  // (name, path)
    if (allow_images && !o.images.empty()) {
        for (const auto& f : o.images) {
            const auto slash = f.find_last_of('/'), dot = f.find_last_of('.');
            const auto start = slash == std::string::npos ? 0 : slash + 1;
            files.emplace_back(f.substr(start, dot == std::string::npos || dot < start ? std::string::npos : dot - start), f);
        }
    } else {
        for (const char* n : {"camera", "astronaut", "chelsea", "grass"})
            files.emplace_back(n, std::string(LUCID_SOURCE_DIR) + "/data/" + n + ".png");
    }
    for (const auto& [n, path] : files) {
        auto x = io::read_gray<T>(path);
        if (o.smoke) {
            Image<T> c({48, 48});
            for (std::size_t i = 0; i < 48; ++i)
                for (std::size_t j = 0; j < 48; ++j) c(i, j) = x(60 + i, 60 + j);
            x = c;
        }
        out.push_back({n, x});
        if (o.smoke) break;
    }
    return out;
}

Image<T> add_noise(const Image<T>& x, double sigma, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0.0, sigma);
    Image<T> y = x;
    for (auto& v : y) v = T(v + n(rng));
    return y;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class D>
double denoise_psnr(const D& d, const Image<T>& y, const Image<T>& x, T sigma, double* secs = nullptr) {
    Image<T> out(y.shape());
    const auto t0 = std::chrono::steady_clock::now();
    d.denoise(y, sigma, out);
    if (secs) *secs += seconds_since(t0);
    return metrics::psnr(x, out);
}

void section_denoise(const Options& o, const denoisers::Cnn<T>& cnn) {
    std::printf("\n## Denoising: PSNR (dB) on held-out photos (gray), mean over images\n\n");
    const std::vector<int> sigmas = o.smoke ? std::vector<int>{25} : std::vector<int>{15, 25, 50};
    const auto photos = held_out(o);
    denoisers::TvDenoiser<T> tv;
    denoisers::WaveletDenoiser<T> wav;
    denoisers::NonLocalMeans<T> nlm;
    std::printf("| sigma (/255) | noisy | TV | wavelet | NLM | CNN | CNN blind | CNN − NLM |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    double t_cnn = 0, t_nlm = 0;
    for (int s : sigmas) {
        const T sigma = T(s / 255.0);
        double p[6] = {0, 0, 0, 0, 0, 0};
        for (std::size_t k = 0; k < photos.size(); ++k) {
            const auto& x = photos[k].x;
            const auto y = add_noise(x, sigma, 1000u * unsigned(s) + unsigned(k));
            p[0] += metrics::psnr(x, y);
            p[1] += denoise_psnr(tv, y, x, sigma);
            p[2] += denoise_psnr(wav, y, x, sigma);
            p[3] += denoise_psnr(nlm, y, x, sigma, &t_nlm);
            p[4] += denoise_psnr(cnn, y, x, sigma, &t_cnn);
            p[5] += denoise_psnr(cnn, y, x, T(0));
            std::fprintf(stderr, "  %s sigma=%d done\n", photos[k].name.c_str(), s);
        }
        for (double& v : p) v /= double(photos.size());
        std::printf("| %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %+.2f |\n", s, p[0], p[1], p[2], p[3], p[4], p[5],
                    p[4] - p[3]);
    }
    std::printf("\nTime per image (mean): CNN %.3f s, NLM %.3f s (%d threads)\n",
                t_cnn / double(sigmas.size() * photos.size()), t_nlm / double(sigmas.size() * photos.size()),
                num_threads());
}

#ifdef LUCID_HAVE_PNP
/// One PnP configuration with the CNN prior.
struct PnpSetting {
    std::string solver = "hqs";  // admm | hqs
    int iters = 12;
    double initial = 49.0 / 255, final = 0.01;  // σ_k geometric from initial to final
    double lambda = 0.18;                       // × σ_n²
    int ensemble = 8;

    std::string label() const {
        char b[160];
        std::snprintf(b, sizeof b, "%s %d it, sigma %.0f/255 -> %.3g, lambda %.3g sn^2, x%d", solver.c_str(), iters,
                      initial * 255, final, lambda, ensemble);
        return b;
    }
};

/// The PnP setting used with the CNN everywhere in this program (pnp and
/// section): PnP-HQS, 12 iterations, σ_k geometric from 49/255 down to
/// σ_n = 0.01, μ_k = λ/σ_k² with λ = 0.18·σ_n², the x8 geometric
/// self-ensemble of the CNN. Chosen with --section pnp-sweep (--ensemble 1)
/// and then pnp runs with --ensemble 8 on validation photos that are not the
/// four test photos of data/ (the procedure is in docs/learned-priors.md);
/// one setting for all images.
PnpSetting cnn_pnp_setting(const Options& o) {
    return {o.pnp_solver, o.smoke ? 4 : o.pnp_iters, o.pnp_initial, o.pnp_final, o.pnp_lambda, o.ensemble};
}

/// Restores y with PnP and the CNN (self-ensembled unless s.ensemble = 1).
template <class Op>
Image<T> run_pnp(const PnpSetting& s, const Op& A, const Image<T>& y, const denoisers::Cnn<T>& cnn, double sn) {
    const double lambda = s.lambda * sn * sn;
    const SigmaSchedule sigma{.initial = s.initial, .final = s.final, .steps = s.iters};
    auto go = [&](const auto& d) {
        if (s.solver == "admm") {
            PnpAdmmParams pp;
            pp.max_iter = s.iters;
            pp.lambda = lambda;
            pp.sigma = sigma;
            pp.tol = 0;
            return pnp_admm(LeastSquares(A, y), d, y, pp).x;
        }
        PnpHqsParams pp;
        pp.max_iter = s.iters;
        pp.lambda = lambda;
        pp.sigma = sigma;
        return pnp_hqs(LeastSquares(A, y), d, y, pp).x;
    };
    if (s.solver != "admm" && s.solver != "hqs") throw Error("--pnp-solver must be admm or hqs (got " + s.solver + ")");
    if (s.ensemble == 1) return go(cnn);
    return go(denoisers::SelfEnsemble(cnn, {.transforms = s.ensemble}));
}

/// The blurred, noisy observation of photo i and its operator.
struct Problem {
    ops::Convolution<T> A;
    Image<T> y;
};
constexpr double pnp_noise = 0.01;
Problem make_problem(const Image<T>& x, std::size_t i) {
    ops::Convolution<T> A(kernels::gaussian<T>(2.0), {x.shape()[0], x.shape()[1]}, Boundary::periodic);
    auto y = add_noise(A(x), pnp_noise, 77u + unsigned(i));
    return {std::move(A), std::move(y)};
}

/// ADMM-TV with the best λ of a fixed grid for this image (oracle choice).
double admm_tv_oracle(const Options& o, const Problem& p, const Image<T>& x) {
    double best = -1;
    for (double lam : o.smoke ? std::vector<double>{2e-3} : std::vector<double>{5e-4, 1e-3, 2e-3, 4e-3}) {
        auto r = admm_tv(p.A, p.y, T(lam), p.y, {.max_iter = 300});
        best = std::max(best, metrics::psnr(x, r.x));
    }
    return best;
}

void section_pnp(const Options& o, const denoisers::Cnn<T>& cnn) {
    const auto s = cnn_pnp_setting(o);
    std::printf("\n## Deblurring: Gaussian blur sigma = 2 (periodic), 1%% noise; PSNR (dB)\n\nPnP: %s\n\n",
                s.label().c_str());
    const auto photos = held_out(o, true);
    std::printf("| image | blurred | ADMM-TV (best lambda) | PnP CNN | gain |\n|---|---|---|---|---|\n");
    double mt = 0, mp = 0;
    for (std::size_t i = 0; i < photos.size(); ++i) {
        const auto& x = photos[i].x;
        const auto p = make_problem(x, i);
        const double best_tv = admm_tv_oracle(o, p, x);
        const auto t0 = std::chrono::steady_clock::now();
        const double p_pnp = metrics::psnr(x, run_pnp(s, p.A, p.y, cnn, pnp_noise));
        std::fprintf(stderr, "  %s: PnP %.1f s\n", photos[i].name.c_str(), seconds_since(t0));
        std::printf("| %s | %.2f | %.2f | %.2f | %+.2f |\n", photos[i].name.c_str(), metrics::psnr(x, p.y), best_tv,
                    p_pnp, p_pnp - best_tv);
        mt += best_tv;
        mp += p_pnp;
    }
    mt /= double(photos.size());
    mp /= double(photos.size());
    std::printf("| mean | | %.2f | %.2f | %+.2f |\n", mt, mp, mp - mt);
}

/// The grid searched for the PnP setting (with --ensemble for every entry):
/// the previous PnP-ADMM setting and neighbours, and DPIR-like PnP-HQS
/// schedules (Zhang et al. 2021: σ from 49/255 to the noise level, μ_k =
/// λ/σ_k², λ ≈ 0.23·σ_n²) with more iterations and other λ and final σ.
std::vector<PnpSetting> pnp_grid(const Options& o) {
    std::vector<PnpSetting> g;
    if (o.smoke) return {{"hqs", 4, 49.0 / 255, 0.01, 0.18, o.ensemble}, {"admm", 4, 40.0 / 255, 0.02, 0.5, o.ensemble}};
    if (o.pnp_grid == "fine") {  // around the best of the coarse grid (HQS, 8 iterations, λ = σ_n²/4, final σ_n)
        for (int it : {6, 8, 12, 16})
            for (double lam : {0.18, 0.25, 0.35}) g.push_back({"hqs", it, 49.0 / 255, 0.01, lam, o.ensemble});
        for (double fin : {0.005, 0.0075}) g.push_back({"hqs", 8, 49.0 / 255, fin, 0.25, o.ensemble});
        return g;
    }
    for (double lam : {0.25, 0.5})
        for (double fin : {0.01, 0.02}) g.push_back({"admm", 40, 40.0 / 255, fin, lam, o.ensemble});
    for (int it : {8, 24})
        for (double lam : {0.12, 0.25, 0.5})
            for (double fin : {0.01, 0.02}) g.push_back({"hqs", it, 49.0 / 255, fin, lam, o.ensemble});
    return g;
}

void section_pnp_sweep(const Options& o, const denoisers::Cnn<T>& cnn) {
    const auto photos = held_out(o, true);
    std::printf("\n## PnP settings on %zu photos (", photos.size());
    for (std::size_t i = 0; i < photos.size(); ++i) std::printf("%s%s", i ? ", " : "", photos[i].name.c_str());
    std::printf("): Gaussian blur sigma = 2, 1%% noise; mean PSNR (dB)\n\n");
    std::vector<Problem> problems;
    double mt = 0;
    std::printf("ADMM-TV (best lambda per image):");
    for (std::size_t i = 0; i < photos.size(); ++i) {
        problems.push_back(make_problem(photos[i].x, i));
        const double p = admm_tv_oracle(o, problems.back(), photos[i].x);
        std::printf(" %.2f", p);
        mt += p / double(photos.size());
    }
    std::printf(", mean %.2f\n\n| setting | mean PSNR | gain over ADMM-TV | per image |\n|---|---|---|---|\n", mt);
    double best = -1;
    std::string best_label;
    for (const auto& s : pnp_grid(o)) {
        double m = 0;
        std::string per;
        for (std::size_t i = 0; i < photos.size(); ++i) {
            const double p = metrics::psnr(photos[i].x, run_pnp(s, problems[i].A, problems[i].y, cnn, pnp_noise));
            m += p / double(photos.size());
            char b[16];
            std::snprintf(b, sizeof b, "%s%.2f", i ? " " : "", p);
            per += b;
        }
        std::printf("| %s | %.2f | %+.2f | %s |\n", s.label().c_str(), m, m - mt, per.c_str());
        std::fflush(stdout);
        if (m > best) best = m, best_label = s.label();
    }
    std::printf("\nbest: %s (%.2f, %+.2f)\n", best_label.c_str(), best, best - mt);
}
#else
void section_pnp(const Options&, const denoisers::Cnn<T>&) {
    std::printf("\n(pnp section skipped: lucid/solvers/pnp_admm.hpp is not available in this tree)\n");
}
void section_pnp_sweep(const Options& o, const denoisers::Cnn<T>& cnn) { section_pnp(o, cnn); }
#endif

void section_sampling(const Options& o, const denoisers::Cnn<T>& cnn) {
    const std::size_t S = o.smoke ? 32 : 96;
    auto full = io::read_gray<T>(std::string(LUCID_SOURCE_DIR) + "/data/camera.png");
    Image<T> x({S, S});
    for (std::size_t i = 0; i < S; ++i)
        for (std::size_t j = 0; j < S; ++j) x(i, j) = full(30 + i, 70 + j);
    const auto k = kernels::gaussian<T>(2.0);
    ops::Convolution<T> A(k, {S, S}, Boundary::periodic);
    const double sn = 0.01;
    const auto y = add_noise(A(x), sn, 5);
    const int N = o.smoke ? 2 : o.samples;
    std::printf("\n## Posterior sampling: camera %zux%zu crop, Gaussian blur sigma = 2, 1%% noise, %d samples each\n\n",
                S, S, N);
    // point estimate: PnP-ADMM with the CNN when available, else deterministic DiffPIR (eta = 0)
    Image<T> point;
    std::string point_name;
#ifdef LUCID_HAVE_PNP
    {
        // the PnP-ADMM setting of the first version of this program (the
        // sampling table of docs/learned-priors.md was measured with it)
        const PnpSetting s{"admm", o.smoke ? 5 : 40, 40.0 / 255, 0.02, 0.5, 1};
        point = run_pnp(s, A, y, cnn, sn);
        point_name = "PnP CNN: " + s.label();
    }
#else
    point = sampling::diffusion_posterior_sample(cnn, A, y, {.steps = 50, .noise_sigma = sn, .eta = 0.0}).x;
    point_name = "DiffPIR eta=0";
#endif
    const double p_point = metrics::psnr(x, point);
    std::printf("point estimate (%s): PSNR %.2f dB, ||A x - y|| = %.4f (noise norm ~ %.4f)\n\n", point_name.c_str(),
                p_point, double(distance(A(point), y)), sn * double(S));
    std::printf("| sampler | PSNR of samples (mean ± sd) | PSNR of sample mean | PSNR(mean, point) | "
                "mean per-pixel std | ||A x − y|| per sample | time/sample |\n|---|---|---|---|---|---|---|\n");
    for (int which = 0; which < 2; ++which) {
        std::vector<Image<T>> xs;
        std::vector<double> ps, res;
        const auto t0 = std::chrono::steady_clock::now();
        for (int s = 0; s < N; ++s) {
            SolverResult<Image<T>> r;
            if (which == 0)
                r = sampling::kadkhodaie_simoncelli(
                    cnn, A, y, {.sigma_end = 0.02, .h0 = 0.05, .beta = 0.5, .rho = 2e-3, .max_iter = o.smoke ? 6 : 200,
                                .blind = true, .seed = std::uint64_t(s + 1)});
            else
                r = sampling::diffusion_posterior_sample(cnn, A, y,
                                                         {.steps = o.smoke ? 4 : 50, .noise_sigma = sn,
                                                          .warm_start = o.smoke ? 2 : 10,
                                                          .seed = std::uint64_t(s + 1)});
            ps.push_back(metrics::psnr(x, r.x));
            res.push_back(double(distance(A(r.x), y)));
            xs.push_back(std::move(r.x));
        }
        const double secs = seconds_since(t0) / N;
        const auto st = sampling::sample_statistics(xs);
        double pm = 0, pv = 0, sd = 0, rmin = 1e9, rmax = 0;
        for (double p : ps) pm += p;
        pm /= N;
        for (double p : ps) pv += (p - pm) * (p - pm);
        pv = N > 1 ? std::sqrt(pv / (N - 1)) : 0;
        for (auto v : st.stddev) sd += v;
        sd /= double(st.stddev.size());
        for (double r : res) rmin = std::min(rmin, r), rmax = std::max(rmax, r);
        std::printf("| %s | %.2f ± %.2f | %.2f | %.2f | %.4f | %.4f – %.4f | %.1f s |\n",
                    which == 0 ? "Kadkhodaie-Simoncelli (blind CNN)" : "DDPM/DiffPIR (CNN, eta = 1)", pm, pv,
                    metrics::psnr(x, st.mean), metrics::psnr(point, st.mean), sd, rmin, rmax, secs);
    }
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--smoke") o.smoke = true;
        else if (a == "--section" && i + 1 < argc) o.section = argv[++i];
        else if (a == "--samples" && i + 1 < argc) o.samples = std::atoi(argv[++i]);
        else if (a == "--threads" && i + 1 < argc) set_num_threads(std::atoi(argv[++i]));
        else if (a == "--pnp-lambda" && i + 1 < argc) o.pnp_lambda = std::atof(argv[++i]);
        else if (a == "--pnp-final" && i + 1 < argc) o.pnp_final = std::atof(argv[++i]);
        else if (a == "--pnp-initial" && i + 1 < argc) o.pnp_initial = std::atof(argv[++i]);
        else if (a == "--pnp-iters" && i + 1 < argc) o.pnp_iters = std::atoi(argv[++i]);
        else if (a == "--pnp-solver" && i + 1 < argc) o.pnp_solver = argv[++i];
        else if (a == "--ensemble" && i + 1 < argc) o.ensemble = std::atoi(argv[++i]);
        else if (a == "--pnp-grid" && i + 1 < argc) o.pnp_grid = argv[++i];
        else if (a == "--images" && i + 1 < argc) {
            std::string list = argv[++i];
            for (std::size_t p = 0; p <= list.size();) {
                const auto q = std::min(list.find(',', p), list.size());
                if (q > p) o.images.push_back(list.substr(p, q - p));
                p = q + 1;
            }
        } else {
            std::fprintf(stderr,
                         "usage: %s [--smoke] [--section denoise|pnp|pnp-sweep|sampling|all] [--samples N] [--threads N]\n"
                         "       [--pnp-solver admm|hqs] [--pnp-iters N] [--pnp-initial SIGMA] [--pnp-final SIGMA]\n"
                         "       [--pnp-lambda MULTIPLE_OF_NOISE_VARIANCE] [--ensemble 1|2|4|8] [--images A.png,B.png,...]\n"
                         "       [--pnp-grid coarse|fine]\n",
                         argv[0]);
            return 2;
        }
    }
    try {
        const auto cnn = denoisers::Cnn<T>::load_default();
        std::printf("model %s: %zu layers, %zu parameters, CRC-32 %08x\n",
                    denoisers::Cnn<T>::default_model_path().string().c_str(), cnn.depth(),
                    cnn.model().parameter_count(), cnn.model().crc);
        if (o.section == "all" || o.section == "denoise") section_denoise(o, cnn);
        if (o.section == "all" || o.section == "pnp") section_pnp(o, cnn);
        if (o.section == "pnp-sweep") section_pnp_sweep(o, cnn);
        if (o.section == "all" || o.section == "sampling") section_sampling(o, cnn);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
