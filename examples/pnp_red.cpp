// Plug-and-play and RED: a denoiser as the prior.
//
// Splitting methods for  min_x ½‖Ax − y‖² + φ(x)  touch the prior only
// through prox_φ, a denoising step. Plug-and-play replaces that step by any
// denoiser D(v, σ) (Venkatakrishnan, Bouman & Wohlberg 2013); RED instead
// builds the explicit prior ρ(x) = ½xᵀ(x − D(x)) and solves
// ∇f(x) + λ(x − D(x)) = 0 (Romano, Elad & Milanfar 2017). In lucid anything
// with `denoise(y, sigma, out)` is a Denoiser, so the same solver call runs
// with TV, non-local means or the learned CNN:
//
//     pnp_admm(LeastSquares(A, y), denoiser, x0, params)   // also pnp_hqs, pnp_fista, red
//
// Here: a camera crop, Gaussian blur σ = 1.6 (periodic), 1% noise. PnP-ADMM
// and PnP-HQS decrease σ_k geometrically (ρ_k = λ/σ_k², λ = σ_n²/2); so do
// PnP-FISTA and its momentum-free form PnP-ISTA (forward–backward,
// `.accelerate = false`); RED uses a fixed σ and the fixed-point solve.
// Parameters are reasonable defaults, not tuned per denoiser. Compare the
// FISTA and ISTA columns: momentum is only safe with a (nearly)
// non-expansive denoiser, and learned ones are not guaranteed to be.
//
//   example_pnp_red [--smoke] [--size N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "lucid/lucid.hpp"

using namespace lucid;
using T = float;

namespace {

Image<T> camera_crop(std::size_t n) {
    const auto full = io::read_gray<T>(std::string(LUCID_SOURCE_DIR) + "/data/camera.png");
    n = std::min({n, full.shape()[0], full.shape()[1]});
    const std::size_t r0 = (full.shape()[0] - n) / 2, c0 = (full.shape()[1] - n) / 2;
    Image<T> x({n, n});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) x(i, j) = full(r0 + i, c0 + j);
    return x;
}

}  // namespace

int main(int argc, char** argv) {
    bool smoke = false;
    std::size_t n = 96;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--smoke") smoke = true, n = 32;
        else if (a == "--size" && i + 1 < argc) n = std::size_t(std::atol(argv[++i]));
        else {
            std::fprintf(stderr, "usage: %s [--smoke] [--size N]\n", argv[0]);
            return 2;
        }
    }
    try {
        const auto x = camera_crop(n);
        const ops::Convolution<T> A(kernels::gaussian<T>(1.6), {x.shape()[0], x.shape()[1]}, Boundary::periodic);
        const double sn = 0.01;
        auto y = A(x);
        std::mt19937 rng(4);
        std::normal_distribution<double> noise(0.0, sn);
        for (auto& v : y) v = T(v + noise(rng));
        const auto f = LeastSquares(A, y);
        const int K = smoke ? 3 : 40;
        const SigmaSchedule anneal{.initial = 40.0 / 255, .final = 0.015, .steps = K};

        std::printf("camera %zux%zu, Gaussian blur sigma = 1.6 (periodic), noise %.2f; PSNR(y) = %.2f dB; "
                    "%d iterations each\n\n", n, n, sn, metrics::psnr(x, y), K);
        std::printf("| denoiser | PnP-ADMM | PnP-HQS | PnP-FISTA | PnP-ISTA | RED (fixed point) | time (s) |\n");
        std::printf("|---|---|---|---|---|---|---|\n");

        // One row per denoiser: the four solvers take it by value, unchanged.
        auto row = [&](const char* name, const auto& D) {
            const auto t0 = std::chrono::steady_clock::now();
            const auto a = pnp_admm(f, D, y, {.max_iter = K, .lambda = sn * sn / 2, .sigma = anneal, .tol = 0});
            const auto h = pnp_hqs(f, D, y, {.max_iter = K, .lambda = sn * sn / 2, .sigma = anneal});
            const auto fi = pnp_fista(f, D, y, {.max_iter = K, .sigma = anneal, .tol = 0});
            const auto is = pnp_fista(f, D, y, {.max_iter = K, .sigma = anneal, .accelerate = false, .tol = 0});
            const auto r = red(f, D, y, {.max_iter = K, .lambda = 0.05, .sigma = {.initial = 2 * sn}, .tol = 0});
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f |\n", name, metrics::psnr(x, a.x),
                        metrics::psnr(x, h.x), metrics::psnr(x, fi.x), metrics::psnr(x, is.x), metrics::psnr(x, r.x),
                        secs);
        };
        row("TV (ROF prox)", denoisers::TvDenoiser<T>());
        row("wavelet (db4, hard, cycle spinning)", denoisers::WaveletDenoiser<T>());
        row("non-local means", denoisers::NonLocalMeans<T>());
        row("CNN (data/models/cnn-denoiser.lcnn)", denoisers::Cnn<T>::load_default());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
