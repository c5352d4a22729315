// Blind deblurring (lucid::blind) and camera-shake kernels (lucid::kernels::camera_shake).
//
// Truth comes from properties (simplex, determinism, KKT conditions of the
// projection), brute force (explicit Toeplitz matrices, an explicit
// least-squares matrix solved by projected gradient written here), and, end
// to end, from the kernel that blurred a shipped photo: the estimate must be
// closer to it than a delta or a Gaussian of the same spread.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <xtensor/xview.hpp>

#include "lucid/lucid.hpp"
#include "lucid/blind/aligned_error.hpp"
#include "lucid/blind/deblur.hpp"
#include "lucid/blind/estimate_kernel.hpp"
#include "lucid/blind/kernel_similarity.hpp"
#include "lucid/kernels/camera_shake.hpp"
#include "support/peers.hpp"

using namespace lucid;
namespace lb = lucid::detail::blind;

namespace {

template <class T>
double ksum(const Image<T>& k) {
    double s = 0;
    for (auto v : k) s += double(v);
    return s;
}

template <class T>
void add_noise(Image<T>& y, double sigma, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0, sigma);
    for (auto& v : y) v = T(double(v) + n(rng));
}

// Euclidean projection onto {k >= 0, sum k = 1} by sorting (Held, Wolfe &
// Crowder 1974), written independently of lucid::Simplex.
std::vector<double> project_simplex(std::vector<double> v) {
    std::vector<double> u = v;
    std::sort(u.begin(), u.end(), std::greater<double>());
    double cum = 0, tau = 0;
    for (std::size_t i = 0; i < u.size(); ++i) {
        cum += u[i];
        const double t = (cum - 1) / double(i + 1);
        if (u[i] - t > 0) tau = t;
    }
    for (auto& x : v) x = std::max(0.0, x - tau);
    return v;
}

// A Gaussian kernel with the same second moments (spread) as k, n×n.
Image<double> matched_gaussian(const Image<double>& k) {
    const std::size_t n = k.shape()[0];
    double cy = 0, cx = 0, s = ksum(k);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) cy += double(i) * k(i, j), cx += double(j) * k(i, j);
    cy /= s, cx /= s;
    double vy = 0, vx = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) vy += (i - cy) * (i - cy) * k(i, j), vx += (j - cx) * (j - cx) * k(i, j);
    const double sigma = std::sqrt((vy + vx) / (2 * s));
    Image<double> g({n, n});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            const double di = double(i) - double(n / 2), dj = double(j) - double(n / 2);
            g(i, j) = std::exp(-(di * di + dj * dj) / (2 * sigma * sigma));
        }
    g /= ksum(g);
    return g;
}

}  // namespace

TEMPLATE_TEST_CASE("camera_shake: non-negative, sums to 1, size, deterministic per seed", "[blind][kernels]", float,
                   double) {
    using T = TestType;
    for (std::size_t size : {3u, 15u, 25u, 31u}) {
        for (std::uint64_t seed : {0u, 1u, 7u, 12345u}) {
            const auto k = kernels::camera_shake<T>(size, seed);
            REQUIRE(k.shape()[0] == size);
            REQUIRE(k.shape()[1] == size);
            CHECK(std::abs(ksum(k) - 1) < 1e-5);
            for (auto v : k) REQUIRE((std::isfinite(double(v)) && v >= T(0)));
            const auto again = kernels::camera_shake<T>(size, seed);
            CHECK(again == k);
            // Centroid at the centre pixel (bilinear splatting keeps it exact).
            double ci = 0, cj = 0;
            for (std::size_t i = 0; i < size; ++i)
                for (std::size_t j = 0; j < size; ++j) ci += double(i) * k(i, j), cj += double(j) * k(i, j);
            CHECK(std::abs(ci - double(size / 2)) < 1e-3);
            CHECK(std::abs(cj - double(size / 2)) < 1e-3);
        }
    }
    // Different seeds give different kernels; large kernels are not points.
    const auto a = kernels::camera_shake<T>(25, 1), b = kernels::camera_shake<T>(25, 2);
    CHECK(a != b);
    std::size_t support = 0;
    for (auto v : a) support += v > T(1e-3);
    CHECK(support >= 10);
}

TEST_CASE("camera_shake: bad input names the argument", "[blind][kernels]") {
    CHECK_THROWS_AS(kernels::camera_shake<double>(24, 1), Error);
    CHECK_THROWS_WITH(kernels::camera_shake<double>(24, 1), Catch::Contains("size") && Catch::Contains("odd"));
    CHECK_THROWS_WITH(kernels::camera_shake<double>(1, 1), Catch::Contains("size"));
    CHECK_THROWS_WITH(kernels::camera_shake<double>(2049, 1), Catch::Contains("size"));
    kernels::CameraShakeOptions o;
    o.length_min = -1;
    CHECK_THROWS_WITH(kernels::camera_shake<double>(15, 1, o), Catch::Contains("length_min"));
    o = {};
    o.samples = 2;
    CHECK_THROWS_WITH(kernels::camera_shake<double>(15, 1, o), Catch::Contains("samples"));
}

TEST_CASE("kernel step: the Toeplitz product equals the explicit matrix", "[blind]") {
    using Product = lb::KernelNormalEquations::Product;
    for (const std::size_t n : {std::size_t(3), std::size_t(5), std::size_t(33)})
        for (const Product product : {Product::fft, Product::direct}) {
            CAPTURE(n, product == Product::fft);
            const std::ptrdiff_t N = std::ptrdiff_t(n);
            lb::KernelNormalEquations ne(n, product);
            std::mt19937 rng(3);
            std::uniform_real_distribution<double> u(-1, 1);
            for (std::ptrdiff_t dy = -(N - 1); dy <= N - 1; ++dy)
                for (std::ptrdiff_t dx = -(N - 1); dx <= N - 1; ++dx) ne.rho_slot(dy, dx) = u(rng);
            ne.finish_rho();
            ne.set_gamma(0.3);
            std::vector<double> k(n * n), out(n * n);
            for (auto& v : k) v = u(rng);
            ne.apply(k.data(), out.data());
            double worst = 0;
            for (std::ptrdiff_t i = 0; i < N; ++i)
                for (std::ptrdiff_t j = 0; j < N; ++j) {
                    double ref = 0.3 * k[std::size_t(i * N + j)];
                    for (std::ptrdiff_t a = 0; a < N; ++a)
                        for (std::ptrdiff_t b = 0; b < N; ++b) ref += ne.rho(i - a, j - b) * k[std::size_t(a * N + b)];
                    worst = std::max(worst, std::abs(out[std::size_t(i * N + j)] - ref));
                }
            CHECK(worst <= 1e-12 * double(n));  // sums of n² terms of size ~1
        }
}

TEST_CASE("kernel step: simplex projection is the Euclidean projection", "[blind]") {
    const std::size_t n = 7;
    lb::KernelNormalEquations ne(n);
    std::mt19937 rng(11);
    std::normal_distribution<double> g(0, 0.3);
    for (int trial = 0; trial < 20; ++trial) {
        std::vector<double> v(n * n);
        for (auto& x : v) x = g(rng);
        auto p = v;
        ne.project(p.data());
        const auto ref = project_simplex(v);
        double s = 0;
        for (std::size_t i = 0; i < v.size(); ++i) {
            REQUIRE(p[i] >= 0);
            s += p[i];
            CHECK(p[i] == Approx(ref[i]).margin(1e-9));
        }
        CHECK(s == Approx(1).margin(1e-9));
        // KKT: p = max(v − τ, 0) with one τ for every positive entry.
        double tau = std::numeric_limits<double>::quiet_NaN();
        for (std::size_t i = 0; i < v.size(); ++i)
            if (p[i] > 0) {
                if (std::isnan(tau)) tau = v[i] - p[i];
                CHECK(v[i] - p[i] == Approx(tau).margin(1e-9));
            }
        for (std::size_t i = 0; i < v.size(); ++i)
            if (p[i] == 0) CHECK(v[i] <= tau + 1e-9);
    }
}

TEST_CASE("kernel cleanup: small entries and light components go, the rest is renormalized", "[blind]") {
    const std::size_t n = 9;
    std::vector<double> k(n * n, 0.0);
    auto at = [&](std::size_t i, std::size_t j) -> double& { return k[i * n + j]; };
    // Main stroke (mass 0.8), a far-away speck (0.05), faint haze (< 5 % of the peak).
    at(4, 2) = 0.2, at(4, 3) = 0.2, at(4, 4) = 0.2, at(5, 5) = 0.2;
    at(0, 8) = 0.05;
    at(8, 0) = 0.005, at(7, 7) = 0.009;
    const std::vector<double> before = k;
    lb::KernelCleanup cleanup(n);
    cleanup.prune(k.data(), 0.05, 0.1);
    for (std::size_t i = 0; i < n * n; ++i) {
        const bool main = (i == 4 * n + 2 || i == 4 * n + 3 || i == 4 * n + 4 || i == 5 * n + 5);
        CHECK(k[i] == Approx(main ? before[i] / 0.8 : 0.0).margin(1e-12));
    }
    // Properties on random non-negative kernels.
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(0, 1);
    for (int trial = 0; trial < 50; ++trial) {
        std::vector<double> r(n * n);
        for (auto& x : r) x = u(rng) < 0.3 ? u(rng) : 0.0;
        const auto orig = r;
        double peak = *std::max_element(orig.begin(), orig.end());
        if (peak == 0) continue;
        cleanup.prune(r.data(), 0.1, 0.2);
        double s = 0;
        for (std::size_t i = 0; i < n * n; ++i) {
            REQUIRE(r[i] >= 0);
            if (orig[i] < 0.1 * peak) CHECK(r[i] == 0);  // small entries removed
            if (orig[i] == 0) CHECK(r[i] == 0);           // support never grows
            s += r[i];
        }
        CHECK(s == Approx(1).margin(1e-12));
        // What is kept is a positive multiple of the original.
        double ratio = -1;
        for (std::size_t i = 0; i < n * n; ++i)
            if (r[i] > 0) {
                if (ratio < 0) ratio = r[i] / orig[i];
                CHECK(r[i] / orig[i] == Approx(ratio).epsilon(1e-12));
            }
    }
}

TEST_CASE("kernel cleanup: centring moves the centroid to the centre pixel", "[blind]") {
    Image<double> k({9, 9}, 0.0);
    k(1, 1) = 0.5, k(1, 2) = 0.5;  // centroid (1, 1.5)
    lb::center_kernel(k);
    double ci = 0, cj = 0;
    for (std::size_t i = 0; i < 9; ++i)
        for (std::size_t j = 0; j < 9; ++j) ci += double(i) * k(i, j), cj += double(j) * k(i, j);
    CHECK(ksum(k) == Approx(1));
    CHECK(std::abs(ci - 4) <= 0.5);
    CHECK(std::abs(cj - 4) <= 0.5);
}

TEST_CASE("kernel step: matches the explicit least squares on the simplex", "[blind]") {
    // Latent image x: random inside, flat in a band of width > n so that the
    // Toeplitz form of the normal equations is exact (the gradients and all
    // their shifts by the kernel's offsets stay inside the residual's region).
    const std::size_t h = 40, w = 36, n = 5, c = n / 2, band = 2 * c + 1;
    std::mt19937 rng(9);
    std::uniform_real_distribution<double> u(0, 1);
    Image<double> x({h, w}, 0.5);
    for (std::size_t i = band; i + band < h; ++i)
        for (std::size_t j = band; j + band < w; ++j) x(i, j) = u(rng);
    const auto k_true = kernels::camera_shake<double>(n, 4);
    ops::Convolution<double> A(k_true, x.shape(), Boundary::reflect);
    Image<double> y = A(x);
    add_noise(y, 0.02, 10);

    blind::KernelEstimationOptions o;
    o.kernel_size = n;
    o.salient_fraction = 1;  // keep every gradient: the plain least squares
    o.edge_fraction = 1;
    o.prune_threshold = 0;
    o.component_mass = 0;
    o.kernel_weight = 0.01;
    o.cg_iterations = 100;
    o.simplex_iterations = 5000;
    lb::AlternatingLevel<double> level(y, n, o);
    level.set_latent(x);
    Image<double> k({n, n}, 0.0);
    k(c, c) = 1;
    level.update_kernel(k);

    // Brute force: rows over p in Ω (at least c from the border) and both
    // directions: Σ_d k(d) ∇x(p − d) ≈ ∇y(p), with ∇x the forward differences
    // (0 on the last row and column) and ∇y those of y.
    auto gx = [&](const Image<double>& im, std::ptrdiff_t i, std::ptrdiff_t j, int dir) -> double {
        if (i < 0 || j < 0 || i + 1 >= std::ptrdiff_t(h) || j + 1 >= std::ptrdiff_t(w)) return 0.0;
        return dir == 0 ? im(i, j + 1) - im(i, j) : im(i + 1, j) - im(i, j);
    };
    const std::size_t m = n * n;
    std::vector<double> AtA(m * m, 0.0), Atb(m, 0.0);
    std::vector<double> row(m);
    double rho0 = 0;
    for (std::size_t i = c; i + c < h; ++i)
        for (std::size_t j = c; j + c < w; ++j)
            for (int dir = 0; dir < 2; ++dir) {
                for (std::size_t a = 0; a < n; ++a)
                    for (std::size_t b = 0; b < n; ++b)
                        row[a * n + b] = gx(x, std::ptrdiff_t(i) - (std::ptrdiff_t(a) - std::ptrdiff_t(c)),
                                            std::ptrdiff_t(j) - (std::ptrdiff_t(b) - std::ptrdiff_t(c)), dir);
                const double f = dir == 0 ? y(i, j + 1) - y(i, j) : y(i + 1, j) - y(i, j);
                for (std::size_t p = 0; p < m; ++p) {
                    Atb[p] += row[p] * f;
                    for (std::size_t q = 0; q < m; ++q) AtA[p * m + q] += row[p] * row[q];
                }
                const double g0 = gx(x, std::ptrdiff_t(i), std::ptrdiff_t(j), dir);
                rho0 += g0 * g0;
            }
    const double gamma = o.kernel_weight * rho0;
    CHECK(level.normal_equations().gamma() == Approx(gamma).epsilon(1e-9));
    for (std::size_t p = 0; p < m; ++p) AtA[p * m + p] += gamma;
    // Projected gradient with step 1/trace (a safe bound), many iterations.
    double L = 0;
    for (std::size_t p = 0; p < m; ++p) L += AtA[p * m + p];
    std::vector<double> kb(m, 1.0 / double(m)), grad(m);
    auto objective = [&](const std::vector<double>& v) {
        double s = 0;
        for (std::size_t p = 0; p < m; ++p) {
            double av = 0;
            for (std::size_t q = 0; q < m; ++q) av += AtA[p * m + q] * v[q];
            s += v[p] * (0.5 * av - Atb[p]);
        }
        return s;
    };
    for (int it = 0; it < 200000; ++it) {
        for (std::size_t p = 0; p < m; ++p) {
            grad[p] = -Atb[p];
            for (std::size_t q = 0; q < m; ++q) grad[p] += AtA[p * m + q] * kb[q];
        }
        for (std::size_t p = 0; p < m; ++p) kb[p] -= grad[p] / L;
        kb = project_simplex(kb);
    }
    std::vector<double> kc(k.begin(), k.end());
    CHECK(ksum(k) == Approx(1).margin(1e-9));
    const double fb = objective(kb), fc = objective(kc);
    CHECK(fc <= fb + 1e-6 * std::abs(fb));
    for (std::size_t p = 0; p < m; ++p) CHECK(kc[p] == Approx(kb[p]).margin(2e-3));
    // And the noisy least squares is close to the kernel that blurred.
    CHECK(blind::kernel_similarity(k, k_true) > 0.95);
}

TEST_CASE("kernel_similarity and aligned_error: translation invariance", "[blind]") {
    const auto a = kernels::camera_shake<double>(15, 3);
    Image<double> shifted({21, 21}, 0.0);
    for (std::size_t i = 0; i < 15; ++i)
        for (std::size_t j = 0; j < 15; ++j) shifted(i + 4, j + 1) = a(i, j);
    CHECK(blind::kernel_similarity(a, shifted) == Approx(1).epsilon(1e-12));
    const auto b = kernels::camera_shake<double>(15, 8);
    const double s = blind::kernel_similarity(a, b);
    CHECK(s < 1);
    CHECK(s == Approx(blind::kernel_similarity(b, a)).epsilon(1e-12));
    CHECK_THROWS_WITH(blind::kernel_similarity(a, Image<double>({3, 3}, 0.0)), Catch::Contains("'b'"));

    std::mt19937 rng(2);
    std::uniform_real_distribution<double> u(0, 1);
    Image<double> r({40, 40});
    for (auto& v : r) v = u(rng);
    Image<double> e({40, 40}, 0.0);
    for (std::size_t i = 0; i < 40; ++i)
        for (std::size_t j = 0; j < 40; ++j) e(i, j) = r((i + 38) % 40, (j + 1) % 40);  // e(p) = r(p − (2, −1))
    const auto al = blind::aligned_error(r, e, 3, 4);
    CHECK(al.sum_squared == Approx(0).margin(1e-20));
    CHECK(al.shift_y == Approx(2));
    CHECK(al.shift_x == Approx(-1));
    CHECK(blind::error_ratio(r, e, Image<double>(r + 0.1), 3, 4) == Approx(0).margin(1e-18));
}

TEST_CASE("blind helpers at extreme but valid arguments", "[blind][errors]") {
    // kernel_similarity is scale-invariant: identical kernels give 1 at any magnitude
    // (the squared norms overflowed or underflowed: 0, inf, NaN, or "all zeros")
    for (double v : {1e100, 1e-100, 1e155, 1e-170, 1e300}) {
        CAPTURE(v);
        Image<double> a({3, 3}, 0.0);
        a(1, 1) = v;
        a(1, 2) = v / 2;
        CHECK(blind::kernel_similarity(a, a) == Approx(1.0).epsilon(1e-12));
    }
    // aligned_error: huge max_shift / border are refused, not wrapped around
    Image<double> r({40, 50}, 0.5), e({40, 50}, 0.5);
    CHECK_THROWS_WITH(blind::aligned_error(r, e, std::numeric_limits<std::size_t>::max(), 4), Catch::Contains("'border'"));
    CHECK_THROWS_WITH(blind::aligned_error(r, e, std::numeric_limits<std::size_t>::max() / 2,
                                           std::numeric_limits<std::size_t>::max() / 2 + 1),
                      Catch::Contains("'border'"));
    CHECK_THROWS_WITH(blind::aligned_error(r, e, 5, 20), Catch::Contains("'border'"));  // 2·20 = 40 = h
    CHECK_NOTHROW(blind::aligned_error(r, e, 5, 19));
    // an initial σ whose square underflows is the delta start, not a NaN kernel
    const auto x = io::read_gray<double>(test::source_path("data/camera.png"));
    Image<double> y = xt::view(x, xt::range(64, 128), xt::range(64, 128));
    ops::Convolution<double> A(kernels::gaussian<double>(1.0), y.shape(), Boundary::reflect);
    y = A(y);
    const auto r0 = blind::estimate_kernel(y, {.kernel_size = 5, .coarsest_kernel_size = 5, .initial_sigma = 1e-170});
    CHECK(all_finite(r0.kernel));
    CHECK(double(xt::sum(r0.kernel)()) == Approx(1.0).epsilon(1e-9));
}

TEST_CASE("estimate_kernel and deblur: bad input names the argument", "[blind]") {
    Image<double> y({64, 64}, 0.5);
    blind::KernelEstimationOptions o;
    o.kernel_size = 24;
    CHECK_THROWS_AS(blind::estimate_kernel(y, o), Error);
    CHECK_THROWS_WITH(blind::estimate_kernel(y, o), Catch::Contains("kernel_size") && Catch::Contains("odd"));
    o.kernel_size = 1;
    CHECK_THROWS_WITH(blind::estimate_kernel(y, o), Catch::Contains("kernel_size") && Catch::Contains(">= 3"));
    o.kernel_size = 33;  // needs 67 pixels per side
    CHECK_THROWS_WITH(blind::estimate_kernel(y, o), Catch::Contains("kernel_size") && Catch::Contains("31"));
    o.kernel_size = 15;
    y(3, 4) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(blind::estimate_kernel(y, o), Catch::Contains("image"));
    y(3, 4) = 0.5;
    o.lambda = -1;
    CHECK_THROWS_WITH(blind::estimate_kernel(y, o), Catch::Contains("options.lambda"));
    blind::DeblurOptions d;
    d.estimation.kernel_size = 16;
    CHECK_THROWS_WITH(blind::deblur(y, d), Catch::Contains("kernel_size"));
    d = {};
    d.deconvolution.lambda = 0;
    CHECK_THROWS_WITH(blind::deblur(y, d), Catch::Contains("options.lambda"));
    Image<double> big_kernel({65, 65}, 1.0 / (65.0 * 65.0));
    CHECK_THROWS_WITH(blind::deconvolve(y, big_kernel), Catch::Contains("kernel"));
}

TEST_CASE("deconvolve rejects a zero, non-finite or negative-sum kernel in every method", "[blind][errors]") {
    // A zero kernel made every method return 0, Wiener even "converged".
    Image<double> y({24, 24});
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = 0.5 + 0.3 * std::sin(0.7 * double(i));
    Image<double> nan_kernel({3, 3}, 1.0 / 9);
    nan_kernel(1, 1) = std::numeric_limits<double>::quiet_NaN();
    const Image<double> zero({3, 3}, 0.0), negative({3, 3}, -1.0 / 9), inf_sum({3, 3}, 1e308);
    for (auto method : {blind::Deconvolution::tv, blind::Deconvolution::tv_valid, blind::Deconvolution::wiener}) {
        INFO(to_string(method));
        blind::DeconvolutionOptions o;
        o.method = method;
        o.max_iter = 5;
        CHECK_THROWS_AS(blind::deconvolve(y, zero, o), Error);
        CHECK_THROWS_WITH(blind::deconvolve(y, zero, o), Catch::Contains("'kernel'") && Catch::Contains("sum > 0"));
        CHECK_THROWS_WITH(blind::deconvolve(y, negative, o), Catch::Contains("'kernel'") && Catch::Contains("sum > 0"));
        CHECK_THROWS_WITH(blind::deconvolve(y, inf_sum, o), Catch::Contains("'kernel'"));
        CHECK_THROWS_WITH(blind::deconvolve(y, nan_kernel, o), Catch::Contains("'kernel'") && Catch::Contains("finite"));
        ImageStack<double> y3({3, 24, 24}, 0.5);
        CHECK_THROWS_WITH(blind::deconvolve(y3, zero, o), Catch::Contains("'kernel'"));
        // a valid kernel still runs
        const auto r = blind::deconvolve(y, Image<double>({3, 3}, 1.0 / 9), o);
        CHECK(r.x.shape() == y.shape());
    }
}

TEST_CASE("estimate_kernel: the callback sees every alternation and can stop", "[blind]") {
    const auto x = io::read_gray<double>(test::source_path("data/camera.png"));
    blind::KernelEstimationOptions o;
    o.kernel_size = 9;
    o.iterations = 2;
    int calls = 0;
    auto est = blind::estimate_kernel(x, o, [&](const blind::KernelProgress<double>& p) {
        ++calls;
        CHECK(p.kernel.shape()[0] == p.kernel_size);
        return p.level == 2 && p.iteration == 1;
    });
    CHECK(est.status == Status::stopped);
    CHECK(calls == 3);
    CHECK(est.kernel.shape()[0] == 9);
    CHECK(ksum(est.kernel) == Approx(1).margin(1e-9));
}

TEMPLATE_TEST_CASE("blind deblurring recovers a camera-shake kernel on a photo", "[blind][slow]", float, double) {
    // camera.png blurred by a 19×19 camera-shake kernel (reflect boundary) + 1 % noise.
    using T = TestType;
    const auto x = io::read_gray<T>(test::source_path("data/camera.png"));
    const std::size_t n = 19;
    const auto k_true = kernels::camera_shake<double>(n, 2);
    ops::Convolution<T> A(Image<T>(xt::cast<T>(k_true)), x.shape(), Boundary::reflect);
    Image<T> y = A(x);
    add_noise(y, 0.01, 1);

    blind::DeblurOptions o;
    o.estimation.kernel_size = n;
    const auto r = blind::deblur(y, o);
    const Image<double> k = xt::cast<double>(r.kernel);
    REQUIRE(k.shape()[0] == n);
    CHECK(std::abs(ksum(k) - 1) < 1e-5);
    for (auto v : k) REQUIRE(v >= 0);
    CHECK(r.estimate.levels.size() >= 3);
    CHECK(r.estimate.levels.back().kernel_size == n);

    // The threshold separates a real estimate from the trivial guesses.
    const double threshold = 0.7;
    Image<double> delta({n, n}, 0.0);
    delta(n / 2, n / 2) = 1;
    const double s = blind::kernel_similarity(k, k_true);
    INFO("similarity " << s << ", delta " << blind::kernel_similarity(delta, k_true) << ", Gaussian "
                       << blind::kernel_similarity(matched_gaussian(k_true), k_true));
    CHECK(blind::kernel_similarity(delta, k_true) < threshold);
    CHECK(blind::kernel_similarity(matched_gaussian(k_true), k_true) < threshold);
    CHECK(s > threshold);

    // Levin et al.'s error ratio against the same deconvolution with the true kernel.
    const auto nb = blind::deconvolve(y, Image<T>(xt::cast<T>(k_true)), o.deconvolution);
    const double ratio = blind::error_ratio(x, r.x, nb.x, 4, 20);
    INFO("error ratio " << ratio);
    CHECK(ratio < 3);
    CHECK(metrics::psnr(x, r.x) > metrics::psnr(x, y) + 1);
}

TEST_CASE("estimate_kernel: more alternations per level do not degrade the kernel", "[blind][slow]") {
    // λ's decay is per level, not per alternation: 12 alternations must not
    // drive it to its floor (where the latent image keeps the noise).
    const auto x = io::read_gray<double>(test::source_path("data/camera.png"));
    const std::size_t n = 19;
    const auto k_true = kernels::camera_shake<double>(n, 2);
    ops::Convolution<double> A(k_true, x.shape(), Boundary::reflect);
    Image<double> y = A(x);
    add_noise(y, 0.01, 1);
    blind::KernelEstimationOptions o;
    o.kernel_size = n;
    o.iterations = 12;
    const auto est = blind::estimate_kernel(y, o);
    CHECK(blind::kernel_similarity(est.kernel, k_true) > 0.7);
}
