// Learned priors, measured: the CNN denoiser against TV, wavelet and NLM on
// held-out photos; PnP-ADMM with the CNN against ADMM-TV for deblurring; and
// posterior sampling (Kadkhodaie-Simoncelli, DDPM/DiffPIR) for one blurred
// input: diversity (per-pixel std) and fidelity (PSNR, ‖A x − y‖).
//
//   build-*/examples/example_learned_priors [--smoke] [--section denoise|pnp|sampling|all]
//                                           [--samples N] [--threads N]
//                                           [--pnp-lambda M] [--pnp-final S]   (PnP-ADMM: λ = M·σ_n², last σ)
//
// Prints the tables of docs/learned-priors.md. --smoke runs every section on
// one small crop (48×48; 32×32 for sampling) with one noise level, few
// iterations and two samples (CI; about a second).
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
#define LUCID_HAVE_PNP 1
#endif

using namespace lucid;
using T = float;

namespace {

struct Options {
    bool smoke = false;
    std::string section = "all";
    int samples = 4;
    double pnp_lambda = 0.5;   // PnP-ADMM λ as a multiple of σ_n²
    double pnp_final = 0.02;   // last σ of the PnP-ADMM schedule
};

struct Photo {
    std::string name;
    Image<T> x;
};

std::vector<Photo> held_out(const Options& o) {
    std::vector<Photo> out;
    for (const char* n : {"camera", "astronaut", "chelsea", "grass"}) {
        auto x = io::read_gray<T>(std::string(LUCID_SOURCE_DIR) + "/data/" + n + ".png");
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
/// PnP-ADMM settings used with the CNN everywhere in this program: 40
/// iterations, σ_k from 40/255 down to 0.02 geometrically, λ = σ_n²/2
/// (ρ_k = λ/σ_k²). λ = σ_n²/2 and the final σ were picked in a pilot run on
/// camera and grass over λ ∈ {1/2, 1, 2, 4}·σ_n² and final σ ∈ {0.01, 0.02}
/// (--pnp-lambda, --pnp-final; the MAP-consistent λ = σ_n² was 0.2–0.5 dB
/// worse); one setting for all images, not tuned per image.
PnpAdmmParams cnn_pnp_params(const Options& o, double sn) {
    PnpAdmmParams pp;
    pp.max_iter = o.smoke ? 5 : 40;
    pp.lambda = o.pnp_lambda * sn * sn;
    pp.sigma = {.initial = 40.0 / 255, .final = o.pnp_final, .steps = pp.max_iter};
    pp.tol = 0;
    return pp;
}

void section_pnp(const Options& o, const denoisers::Cnn<T>& cnn) {
    std::printf("\n## Deblurring: Gaussian blur sigma = 2 (periodic), 1%% noise; PSNR (dB)\n\n");
    const auto photos = held_out(o);
    const auto k = kernels::gaussian<T>(2.0);
    const double sn = 0.01;
    std::printf("| image | blurred | ADMM-TV (best lambda) | PnP-ADMM CNN | gain |\n|---|---|---|---|---|\n");
    double mt = 0, mp = 0;
    for (std::size_t i = 0; i < photos.size(); ++i) {
        const auto& x = photos[i].x;
        ops::Convolution<T> A(k, {x.shape()[0], x.shape()[1]}, Boundary::periodic);
        const auto y = add_noise(A(x), sn, 77u + unsigned(i));
        double best_tv = -1;
        for (double lam : o.smoke ? std::vector<double>{2e-3} : std::vector<double>{5e-4, 1e-3, 2e-3, 4e-3}) {
            auto r = admm_tv(A, y, T(lam), y, {.max_iter = 300});
            best_tv = std::max(best_tv, metrics::psnr(x, r.x));
        }
        const auto pp = cnn_pnp_params(o, sn);
        auto r = pnp_admm(LeastSquares(A, y), cnn, y, pp);
        const double p_pnp = metrics::psnr(x, r.x);
        std::printf("| %s | %.2f | %.2f | %.2f | %+.2f |\n", photos[i].name.c_str(), metrics::psnr(x, y), best_tv, p_pnp,
                    p_pnp - best_tv);
        mt += best_tv;
        mp += p_pnp;
    }
    mt /= double(photos.size());
    mp /= double(photos.size());
    std::printf("| mean | | %.2f | %.2f | %+.2f |\n", mt, mp, mp - mt);
}
#else
void section_pnp(const Options&, const denoisers::Cnn<T>&) {
    std::printf("\n(pnp section skipped: lucid/solvers/pnp_admm.hpp is not available in this tree)\n");
}
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
        const auto pp = cnn_pnp_params(o, sn);
        point = pnp_admm(LeastSquares(A, y), cnn, y, pp).x;
        point_name = "PnP-ADMM CNN";
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
        else {
            std::fprintf(stderr, "usage: %s [--smoke] [--section denoise|pnp|sampling|all] [--samples N] [--threads N]\n"
                         "       [--pnp-lambda MULTIPLE_OF_NOISE_VARIANCE] [--pnp-final SIGMA]\n",
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
        if (o.section == "all" || o.section == "sampling") section_sampling(o, cnn);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
