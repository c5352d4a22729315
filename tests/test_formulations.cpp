// Formulations end to end: least squares, Tikhonov, sparse synthesis and
// analysis with wavelets, TV deblurring with every boundary (valid by
// Almeida–Figueiredo), plug-and-play and RED with the TV, wavelet and NLM
// denoisers; restoration quality on a shipped photo and boundary ringing.
#include <catch2/catch.hpp>

#include <cmath>
#include <iomanip>
#include <random>
#include <sstream>

#include "lucid/lucid.hpp"
#include "lucid/kernels/gaussian.hpp"
#include "lucid/ops/convolution.hpp"
#include "support/peers.hpp"

using namespace lucid;
using Catch::Contains;

namespace {

// Single-threaded: solver results do not depend on the thread count, and on a
// shared 2-core machine fork/join under load costs more than it saves.
const bool single_threaded = (lucid::set_num_threads(1), true);

template <class T>
void add_noise(Image<T>& y, double sigma, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> g(0, sigma);
    for (auto& v : y) v = T(double(v) + g(rng));
}

template <class T>
double rel_diff(const Image<T>& a, const Image<T>& b) {
    return double(distance(a, b)) / std::max(1e-300, double(norm(b)));
}

template <class T>
Image<T> camera() {
    return io::read_gray<T>(test::source_path("data/camera.png"));
}

template <class T>
Image<T> crop(const Image<T>& x, std::size_t top, std::size_t left, std::size_t h, std::size_t w) {
    Image<T> out({h, w});
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) out(i, j) = x(top + i, left + j);
    return out;
}

// PSNR over the pixels within `band` of the border (peak 1).
template <class T>
double border_psnr(const Image<T>& ref, const Image<T>& img, std::size_t band) {
    const std::size_t h = ref.shape()[0], w = ref.shape()[1];
    double se = 0;
    std::size_t n = 0;
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j)
            if (i < band || j < band || i + band >= h || j + band >= w) {
                const double d = double(ref(i, j)) - double(img(i, j));
                se += d * d;
                ++n;
            }
    return 10 * std::log10(1.0 / (se / double(n)));
}

template <class T>
double tv_objective(const ops::Convolution<T>& A, const Image<T>& y, T lam, const Image<T>& x) {
    return double(LeastSquares(std::cref(A), y).value(x) + TotalVariation<T>(lam).value(x));
}

}  // namespace

// ---------------------------------------------------------------------------

TEST_CASE("Least squares: CG, Landweber, GD and FISTA reach the exact inverse of a well-conditioned blur", "[formulations][ls]") {
    using T = double;
    const Image<T> truth = crop(camera<T>(), 64, 64, 64, 64);
    ops::Convolution<T> A(kernels::gaussian<T>(0.6, 0.6, 0.0), {64, 64}, Boundary::periodic);
    const Image<T> y = A(truth);  // consistent data: the minimizer of ½‖Ax − y‖² is the truth
    const Image<T> x0({64, 64}, T(0.5));
    auto cg = conjugate_gradient(gram(A), A.adjoint_of(y), x0, {.max_iter = 500, .tol = 1e-12});
    auto lw = landweber(A, y, x0, {.max_iter = 5000, .tol = 1e-12});
    auto gd = gradient_descent(LeastSquares(A, y), x0, {.max_iter = 5000, .tol = 1e-12, .rule = StepRule::barzilai_borwein});
    auto fi = fista(LeastSquares(A, y), Zero<T>(), x0, {.max_iter = 5000, .tol = 1e-13, .restart = Restart::gradient});
    WARN("least squares, relative error to the truth: CG " << rel_diff(cg.x, truth) << " (" << cg.iterations
         << " it), Landweber " << rel_diff(lw.x, truth) << " (" << lw.iterations << "), GD-BB " << rel_diff(gd.x, truth)
         << " (" << gd.iterations << "), FISTA " << rel_diff(fi.x, truth) << " (" << fi.iterations << ")");
    CHECK(rel_diff(cg.x, truth) < 1e-8);
    CHECK(rel_diff(lw.x, truth) < 1e-6);
    CHECK(rel_diff(gd.x, truth) < 1e-8);
    CHECK(rel_diff(fi.x, truth) < 1e-8);
}

TEST_CASE("Tikhonov with a gradient prior: FISTA on f + Tikhonov(D) matches the DCT closed form", "[formulations][tikhonov]") {
    using T = double;
    Image<T> truth = crop(camera<T>(), 40, 90, 64, 80);
    ops::Convolution<T> A(kernels::gaussian<T>(1.5, 1.5, 0.0), {64, 80}, Boundary::reflect);
    Image<T> y = A(truth);
    add_noise(y, 0.01, 1);
    ops::Gradient<T> D({64, 80});
    const T lam = 5e-3;
    auto closed = tikhonov(A, y, lam, D);
    CHECK_THAT(closed.message, Contains("closed form"));
    auto fi = fista(LeastSquares(A, y) + Tikhonov(D, lam), Zero<T>(), y,
                    {.max_iter = 5000, .tol = 1e-13, .restart = Restart::gradient});
    auto ad = admm(LeastSquares(A, y), SquaredL2<T>(lam), D, y, {.max_iter = 2000, .tol = 1e-10});
    CHECK(rel_diff(fi.x, closed.x) < 1e-8);
    CHECK(rel_diff(ad.x, closed.x) < 1e-7);
}

TEST_CASE("Sparse synthesis with an orthonormal wavelet equals the analysis form; ISTA/FISTA/ADMM agree", "[formulations][wavelet]") {
    using T = double;
    const std::size_t n = 64;
    const Image<T> truth = crop(camera<T>(), 100, 60, n, n);
    ops::Convolution<T> A(kernels::gaussian<T>(1.2, 1.2, 0.0), {n, n}, Boundary::periodic);
    Image<T> y = A(truth);
    add_noise(y, 0.01, 2);
    ops::Wavelet2D<T> W("db4", {n, n}, 3);
    const T lam = 2e-3;
    // Synthesis: min_θ ½‖y − AWᵀθ‖² + λ‖θ‖₁ (θ = wavelet coefficients, every band penalized).
    auto AWt = compose(std::cref(A), adjoint(std::cref(W)));
    const Image<T> theta0 = W(y);
    auto syn = fista(LeastSquares(AWt, y), L1<T>(lam), theta0, {.max_iter = 3000, .tol = 1e-12, .restart = Restart::gradient});
    auto syn_ista = ista(LeastSquares(AWt, y), L1<T>(lam), theta0, {.max_iter = 3000, .tol = 1e-12});
    auto syn_admm = admm(LeastSquares(AWt, y), L1<T>(lam), theta0, {.max_iter = 2000, .rho = 0.05, .tol = 1e-9});
    auto F = [&](const Image<T>& th) { return double(LeastSquares(AWt, y).value(th) + L1<T>(lam).value(th)); };
    const double Fs = F(syn.x);
    WARN(std::setprecision(10) << "wavelet synthesis objective: FISTA " << Fs << " (" << syn.iterations << " it), ISTA "
         << F(syn_ista.x) << " (" << syn_ista.iterations << "), ADMM " << F(syn_admm.x) << " (" << syn_admm.iterations << ")");
    CHECK((F(syn_ista.x) - Fs) / Fs < 1e-5);  // ISTA's O(1/k) tail: 3000 iterations give ~1e-6
    CHECK((F(syn_admm.x) - Fs) / Fs < 1e-6);
    // Analysis with the same orthonormal W: min_x ½‖Ax − y‖² + λ‖Wx‖₁ has x = Wᵀθ*.
    auto ana = fista(LeastSquares(A, y), WaveletL1(W, lam, true), y, {.max_iter = 3000, .tol = 1e-12, .restart = Restart::gradient});
    const Image<T> x_syn = W.adjoint_of(syn.x);
    CHECK(rel_diff(ana.x, x_syn) < 1e-6);
    CHECK(metrics::psnr(truth, x_syn) > metrics::psnr(truth, y));
}

TEST_CASE("Analysis sparsity with a redundant (undecimated) wavelet frame: ADMM and PDHG agree", "[formulations][wavelet]") {
    using T = double;
    const std::size_t n = 48;
    const Image<T> truth = crop(camera<T>(), 120, 120, n, n);
    ops::Convolution<T> A(kernels::gaussian<T>(1.2, 1.2, 0.0), {n, n}, Boundary::reflect);
    Image<T> y = A(truth);
    add_noise(y, 0.01, 3);
    ops::StationaryWavelet2D<T> W("haar", {n, n}, 2);
    const T lam = 2e-3;
    // min ½‖Ax − y‖² + λ‖Wx‖₁ (all bands): ADMM with K = W (CG x-updates), PDHG with K = [A; W].
    auto ad = admm(LeastSquares(A, y), L1<T>(lam), W, y, {.max_iter = 3000, .rho = 0.02, .tol = 1e-8, .cg_tol = 1e-11});
    auto pd = pdhg(Zero<T>(), separable_sum(SquaredL2(T(1), y), L1<T>(lam)), stack(std::cref(A), std::cref(W)), y,
                   {.max_iter = 8000, .tol = 1e-9});
    auto F = [&](const Image<T>& x) { return double(LeastSquares(A, y).value(x) + L1<T>(lam).value(W(x))); };
    WARN(std::setprecision(10) << "wavelet analysis objective: ADMM " << F(ad.x) << " (" << ad.iterations
         << " it), PDHG " << F(pd.x) << " (" << pd.iterations << " it)");
    const double best = std::min(F(ad.x), F(pd.x));
    CHECK((F(ad.x) - best) / best < 1e-5);
    CHECK((F(pd.x) - best) / best < 1e-5);
}

// ---------------------------------------------------------------------------

TEST_CASE("TV deblurring with every boundary: each path minimizes its own objective", "[formulations][tv]") {
    using T = double;
    const std::size_t n = 48;
    const Image<T> truth = crop(camera<T>(), 80, 100, n, n);
    const Image<T> k = kernels::gaussian<T>(1.2, 1.2, 0.0);
    const T lam = 2e-3;
    for (Boundary b : {Boundary::zero, Boundary::replicate, Boundary::reflect}) {
        // Neumann-TV objective for all three: the generic CG path (zero, replicate) and the
        // fused DCT path (reflect) must reach FISTA's objective.
        ops::Convolution<T> A(k, {n, n}, b);
        Image<T> y = A(truth);
        add_noise(y, 0.01, 4);
        auto ad = admm_tv(A, y, lam, y, {.max_iter = 1500, .tol = 1e-7});
        auto fi = fista(LeastSquares(A, y), TotalVariation<T>(lam, TvNorm::isotropic, {.max_iter = 1000, .tol = 1e-7}), y,
                        {.max_iter = 1000, .tol = 1e-10, .restart = Restart::gradient});
        const double Fa = tv_objective(A, y, lam, ad.x), Ff = tv_objective(A, y, lam, fi.x);
        INFO("boundary " << to_string(b) << ": ADMM-TV " << Fa << " (" << ad.iterations << " it), FISTA-TV " << Ff);
        CHECK(std::abs(Fa - Ff) / Ff < 1e-4);
    }
    {
        // Periodic: the fused FFT path uses periodic differences; PDHG on the same objective agrees.
        ops::Convolution<T> A(k, {n, n}, Boundary::periodic);
        Image<T> y = A(truth);
        add_noise(y, 0.01, 5);
        auto ad = admm_tv(A, y, lam, y, {.max_iter = 1500, .tol = 1e-7});
        ops::Gradient<T> Dp({n, n}, Boundary::periodic);
        auto pd = pdhg(Zero<T>(), separable_sum(SquaredL2(T(1), y), L21Norm<T>(lam)), stack(std::cref(A), std::cref(Dp)), y,
                       {.max_iter = 8000, .tol = 1e-9});
        auto F = [&](const Image<T>& x) { return double(LeastSquares(std::cref(A), y).value(x) + L21Norm<T>(lam).value(Dp(x))); };
        CHECK(std::abs(F(ad.x) - F(pd.x)) / F(pd.x) < 1e-4);
        CHECK(ad.history.objective.back() == Approx(F(ad.x)).epsilon(1e-9));  // the Parseval data term is exact
    }
    {
        // Valid: Almeida–Figueiredo's masked splitting minimizes ½‖Ax − y‖² + λ TV_periodic(x) over
        // the full (unknown-boundary) image; PDHG on K = [A_valid; ∇_periodic] agrees.
        ops::Convolution<T> A(k, {n, n}, Boundary::valid);
        Image<T> y = A(truth);
        add_noise(y, 0.01, 6);
        const Image<T> x0({n, n}, T(0.5));
        auto ad = admm_tv(A, y, lam, x0, {.max_iter = 2000, .tol = 1e-7});
        ops::Gradient<T> Dp({n, n}, Boundary::periodic);
        auto pd = pdhg(Zero<T>(), separable_sum(SquaredL2(T(1), y), L21Norm<T>(lam)), stack(std::cref(A), std::cref(Dp)), x0,
                       {.max_iter = 10000, .tol = 1e-10, .relaxation = 1.9});
        auto F = [&](const Image<T>& x) { return double(LeastSquares(std::cref(A), y).value(x) + L21Norm<T>(lam).value(Dp(x))); };
        INFO("valid: ADMM (A&F) " << F(ad.x) << " (" << ad.iterations << " it), PDHG " << F(pd.x));
        CHECK(std::abs(F(ad.x) - F(pd.x)) / F(pd.x) < 1e-4);
    }
}

// ---------------------------------------------------------------------------

TEST_CASE("Plug-and-play and RED with the TV, wavelet and NLM denoisers improve on the data", "[formulations][pnp]") {
    using T = double;
    const std::size_t n = 96;
    const Image<T> truth = crop(camera<T>(), 60, 80, n, n);
    ops::Convolution<T> A(kernels::gaussian<T>(1.5, 1.5, 0.0), {n, n}, Boundary::reflect);
    Image<T> y = A(truth);
    add_noise(y, 0.01, 7);
    const double p_data = metrics::psnr(truth, y);
    const double p_wiener = metrics::psnr(truth, wiener(A, y, {.nsr = 2e-3}).x);
    auto f = LeastSquares(A, y);
    const double nv = 1e-4;  // noise variance σ_n² (the MAP-consistent λ)
    const SigmaSchedule anneal{.initial = 0.1, .final = 0.02, .steps = 15};
    std::ostringstream report;
    report << std::fixed << std::setprecision(2) << "PnP/RED PSNR (dB), data " << p_data << ", Wiener " << p_wiener;
    auto check = [&](const char* name, const Image<T>& x) {
        const double p = metrics::psnr(truth, x);
        report << ", " << name << " " << p;
        CHECK(p > p_data + 1.0);
        CHECK(all_finite(x));
    };
    {
        denoisers::TvDenoiser<T> tv;
        check("pnp-admm/tv", pnp_admm(f, tv, y, {.max_iter = 25, .lambda = nv, .sigma = anneal}).x);
        check("pnp-hqs/tv", pnp_hqs(f, tv, y, {.max_iter = 25, .lambda = nv, .sigma = anneal}).x);
        check("pnp-fista/tv", pnp_fista(f, tv, y, {.max_iter = 25, .sigma = {.initial = 0.02}}).x);
        check("red-fp/tv", red(f, tv, y, {.max_iter = 25, .lambda = 0.02, .sigma = {.initial = 0.02}}).x);
    }
    {
        denoisers::WaveletDenoiser<T> wav({.shifts = 2});
        check("pnp-admm/wavelet", pnp_admm(f, wav, y, {.max_iter = 25, .lambda = nv, .sigma = anneal}).x);
        check("red-sd/wavelet", red(f, wav, y, {.max_iter = 40, .method = RedMethod::steepest_descent, .lambda = 0.02,
                                                .sigma = {.initial = 0.02}}).x);
    }
    {
        denoisers::NonLocalMeans<T> nlm;
        check("pnp-admm/nlm", pnp_admm(f, nlm, y, {.max_iter = 12, .lambda = nv, .sigma = {.initial = 0.06, .final = 0.02, .steps = 8}}).x);
        check("red-fp/nlm", red(f, nlm, y, {.max_iter = 12, .lambda = 0.02, .sigma = {.initial = 0.02}}).x);
    }
    WARN(report.str());
}

// ---------------------------------------------------------------------------

TEST_CASE("Restoration quality on camera.png, Gaussian blur sigma 2 + 1% noise, reflect boundary", "[formulations][quality]") {
    using T = double;
    const Image<T> truth = camera<T>();
    const auto shape = truth.shape();
    ops::Convolution<T> A(kernels::gaussian<T>(2.0, 2.0, 0.0), {shape[0], shape[1]}, Boundary::reflect);
    Image<T> y = A(truth);
    add_noise(y, 0.01, 2024);
    auto psnr = [&](const Image<T>& x) { return metrics::psnr(truth, x); };
    // Wiener with its best constant NSR on a grid (an oracle choice, to be fair to it).
    double p_wiener = -1, best_nsr = 0;
    for (double nsr : {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2}) {
        const double p = psnr(wiener(A, y, {.nsr = nsr}).x);
        if (p > p_wiener) { p_wiener = p; best_nsr = nsr; }
    }
    const double p_rl = psnr(richardson_lucy(A, y, {.max_iter = 30}).x);
    const double p_tik = psnr(tikhonov(A, y, 2e-3, ops::Gradient<T>({shape[0], shape[1]})).x);
    // ADMM-TV with its best λ on a small grid (the same oracle courtesy as Wiener's NSR).
    T lam = 0;
    double p_admm = -1;
    int admm_iters = 0;
    for (T l : {T(2e-4), T(4e-4), T(8e-4)}) {
        auto ad = admm_tv(A, y, l, y, {.max_iter = 120, .tol = 1e-5});
        if (psnr(ad.x) > p_admm) { p_admm = psnr(ad.x); lam = l; admm_iters = ad.iterations; }
    }
    auto fi = fista(LeastSquares(A, y), TotalVariation<T>(lam), y, {.max_iter = 60, .tol = 1e-6, .restart = Restart::gradient});
    const double p_fista = psnr(fi.x);
    const double p_pnp = psnr(pnp_admm(LeastSquares(A, y), denoisers::TvDenoiser<T>(), y,
                                       {.max_iter = 25, .lambda = 1e-4, .sigma = {.initial = 0.1, .final = 0.02, .steps = 15}}).x);
    WARN(std::fixed << std::setprecision(2) << "camera 256x256, gaussian sigma=2, 1% noise, reflect: PSNR data "
         << psnr(y) << ", Wiener " << p_wiener << " (best nsr " << best_nsr << "), Tikhonov-grad " << p_tik
         << ", Richardson-Lucy(30) " << p_rl << ", ADMM-TV " << p_admm << " (lambda " << std::setprecision(5) << lam << std::setprecision(2) << ", " << admm_iters << " it), FISTA-TV "
         << p_fista << " (" << fi.iterations << " it), PnP-ADMM/TV " << p_pnp);
    CHECK(p_admm >= p_wiener + 1.0);
    CHECK(p_admm >= p_rl);
    CHECK(std::abs(p_fista - p_admm) < 0.3);  // same model, same optimum
}

TEST_CASE("Boundary-aware deconvolution removes the ringing of periodic deconvolution on a photo crop", "[formulations][boundary]") {
    using T = double;
    // The scene is larger than the frame: the camera records the valid part of the blur of a
    // 160×160 region, a 148×148 frame whose border depends on pixels outside it.
    const Image<T> photo = camera<T>();
    const Image<T> k = kernels::gaussian<T>(2.0, 2.0, 0.0);  // 13×13
    const std::size_t big = 160, r = k.shape()[0] / 2, m = big - 2 * r;
    const Image<T> scene = crop(photo, 40, 60, big, big);
    const Image<T> truth = crop(scene, r, r, m, m);
    ops::Convolution<T> Av(k, {big, big}, Boundary::valid);
    Image<T> y = Av(scene);
    add_noise(y, 0.005, 99);
    REQUIRE(y.shape()[0] == m);
    const T lam = 1e-3;
    const std::size_t band = 8;
    ops::Convolution<T> Ap(k, {m, m}, Boundary::periodic), Ar(k, {m, m}, Boundary::reflect);
    auto periodic = admm_tv(Ap, y, lam, y, {.max_iter = 150, .tol = 1e-5});
    auto reflect = admm_tv(Ar, y, lam, y, {.max_iter = 150, .tol = 1e-5});
    const Image<T> x0({big, big}, T(double(norm1(y)) / double(y.size())));
    auto valid = admm_tv(Av, y, lam, x0, {.max_iter = 300, .tol = 1e-5});
    const Image<T> valid_frame = crop(valid.x, r, r, m, m);
    const Image<T> wiener_p = wiener(Ap, y, {.nsr = 1e-3}).x;
    const double b_p = border_psnr(truth, periodic.x, band), b_r = border_psnr(truth, reflect.x, band),
                 b_v = border_psnr(truth, valid_frame, band), b_w = border_psnr(truth, wiener_p, band);
    const double c_p = metrics::psnr(truth, periodic.x), c_r = metrics::psnr(truth, reflect.x),
                 c_v = metrics::psnr(truth, valid_frame);
    WARN(std::fixed << std::setprecision(2) << "photo crop " << m << "x" << m << " (valid blur of a " << big
         << "x" << big << " scene), border band " << band << " px PSNR: periodic ADMM-TV " << b_p << ", Wiener (periodic) "
         << b_w << ", reflect (DCT) ADMM-TV " << b_r << ", valid (Almeida-Figueiredo) ADMM-TV " << b_v
         << "; whole frame: periodic " << c_p << ", reflect " << c_r << ", valid " << c_v);
    CHECK(b_r > b_p + 2.0);
    CHECK(b_v > b_r);
    CHECK(c_v > c_p);
}
