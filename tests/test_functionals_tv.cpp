// Total variation: value, exact 1-D prox (Condat), FGP prox in 2-D against the
// 1-D taut string, the optimality condition, the duality-gap certificate,
// vectorial TV, warm starts, and scikit-image's denoise_tv_chambolle.
#include <catch2/catch.hpp>

#include <random>

#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "lucid/functionals/functionals.hpp"
#include "lucid/lucid.hpp"
#include "lucid/ops/gradient.hpp"
#include "support/peers.hpp"
#include "support/prox_check.hpp"

using namespace lucid;
using lucid::test::subgradient_violation;

namespace {

template <class T>
Image<T> random_image(std::size_t h, std::size_t w, unsigned seed, double scale = 1.0) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0, scale);
    Image<T> x({h, w});
    for (auto& v : x) v = T(n(rng));
    return x;
}

// A piecewise-constant image plus noise: the TV model's home ground.
template <class T>
Image<T> blocky_image(std::size_t h, std::size_t w, unsigned seed, double noise) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0, noise);
    Image<T> x({h, w});
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) {
            double v = (i < h / 2 ? 0.2 : 0.7) + ((j > w / 3 && j < 2 * w / 3 && i > h / 4) ? 0.25 : 0.0);
            x(i, j) = T(v + n(rng));
        }
    return x;
}

// Optimality certificate of 1-D TV denoising: x solves min ½‖x − y‖² + λΣ|x_{k+1} − x_k|
// iff s_k = Σ_{j≤k}(x_j − y_j) satisfies |s_k| ≤ λ, s_{n−1} = 0, and s_k = λ·sign(x_{k+1} − x_k)
// wherever x jumps. Returns the largest violation.
template <class T>
double tv1d_certificate_violation(const std::vector<T>& y, const std::vector<T>& x, double lambda) {
    double s = 0, worst = 0;
    const std::size_t n = y.size();
    for (std::size_t k = 0; k + 1 < n; ++k) {
        s += double(x[k]) - double(y[k]);
        worst = std::max(worst, std::abs(s) - lambda);
        const double jump = double(x[k + 1]) - double(x[k]);
        if (std::abs(jump) > 1e-9) worst = std::max(worst, std::abs(s - lambda * (jump > 0 ? 1 : -1)));
    }
    s += double(x[n - 1]) - double(y[n - 1]);
    return std::max(worst, std::abs(s));
}

}  // namespace

TEMPLATE_TEST_CASE("tv1d_prox (Condat) satisfies the exact optimality certificate", "[functionals][tv][tv1d]", float, double) {
    using T = TestType;
    const double tol = std::is_same_v<T, float> ? 2e-4 : 1e-10;
    std::mt19937 rng(3);
    std::normal_distribution<double> n01(0, 1);
    for (int trial = 0; trial < 40; ++trial) {
        const std::size_t n = 1 + std::size_t(trial * 7 % 97);
        std::vector<T> y(n), x(n);
        double level = 0;
        for (auto& v : y) {
            if (n01(rng) > 1.2) level = n01(rng) * 3;  // steps
            v = T(level + 0.5 * n01(rng));
        }
        const double lambda = 0.05 + 0.3 * (trial % 5);
        tv1d_prox(std::span<const T>(y), T(lambda), std::span<T>(x));
        CHECK(tv1d_certificate_violation(y, x, lambda) <= tol * (1 + n));
        // in place gives the same
        std::vector<T> z = y;
        tv1d_prox(std::span<const T>(z), T(lambda), std::span<T>(z));
        CHECK(z == x);
    }
    // λ = 0 is the identity; a huge λ gives the mean
    std::vector<T> y{T(1), T(3), T(-2), T(6)}, x(4);
    tv1d_prox(std::span<const T>(y), T(0), std::span<T>(x));
    CHECK(x == y);
    tv1d_prox(std::span<const T>(y), T(100), std::span<T>(x));
    for (auto v : x) CHECK(v == Approx(2.0));
    // a wrong answer fails the certificate
    x = y;
    CHECK(tv1d_certificate_violation(y, x, 0.5) > 0.1);
    CHECK_THROWS_WITH(tv1d_prox(std::span<const T>(y), T(-1), std::span<T>(x)), Catch::Contains("lambda"));
    // Eigen vectors
    VectorX<T> ve = VectorX<T>::LinSpaced(10, 0, 9), oe(10);
    tv1d_prox(ve, T(1), oe);
    CHECK(oe(0) == Approx(1.0));
}

TEMPLATE_TEST_CASE("TV value follows the developer-guide convention", "[functionals][tv]", float, double) {
    using T = TestType;
    Image<T> x({2, 3});
    x = {{0, 1, 3}, {2, 2, 2}};
    // isotropic: pixel (0,0): (1, 2) → √5; (0,1): (2, 1) → √5; (0,2): (0, −1) → 1; row 1: (0,0),(0,0),(0,0)
    CHECK(double(TotalVariation<T>(T(2)).value(x)) == Approx(2 * (2 * std::sqrt(5.0) + 1)));
    CHECK(double(TotalVariation<T>(T(1), TvNorm::anisotropic).value(x)) == Approx(3 + 3 + 1));
    // against ops::Gradient on a random image and a stack
    const auto y = random_image<T>(9, 7, 1);
    ops::Gradient<T> D({9, 7});
    const auto g = D(y);
    double iso = 0, aniso = 0;
    for (std::size_t i = 0; i < 9; ++i)
        for (std::size_t j = 0; j < 7; ++j) {
            iso += std::hypot(double(g(0, i, j)), double(g(1, i, j)));
            aniso += std::abs(double(g(0, i, j))) + std::abs(double(g(1, i, j)));
        }
    CHECK(double(TotalVariation<T>(T(1)).value(y)) == Approx(iso).epsilon(1e-5));
    CHECK(double(TotalVariation<T>(T(1), TvNorm::anisotropic).value(y)) == Approx(aniso).epsilon(1e-5));
    ImageStack<T> s({3, 9, 7});
    for (std::size_t c = 0; c < 3; ++c) xt::view(s, c) = y;
    CHECK(double(TotalVariation<T>(T(1)).value(s)) == Approx(3 * iso).epsilon(1e-5));
    CHECK(double(TotalVariation<T>(T(1), TvNorm::vectorial).value(s)) == Approx(std::sqrt(3.0) * iso).epsilon(1e-5));
}

TEMPLATE_TEST_CASE("FGP TV prox on 1xN and Nx1 images equals the exact 1-D taut string", "[functionals][tv]", float, double) {
    using T = TestType;
    const std::size_t n = 64;
    const auto row = blocky_image<T>(1, n, 5, 0.1);
    const T lambda = T(0.08), tau = T(1.5);
    std::vector<T> exact(n);
    tv1d_prox(std::span<const T>(row.data(), n), lambda * tau, std::span<T>(exact));
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-7;
    for (TvNorm norm : {TvNorm::isotropic, TvNorm::anisotropic}) {
        TotalVariation<T> tv(lambda, norm, {.max_iter = 20000, .tol = std::is_same_v<T, float> ? 3e-4 : 1e-8});
        Image<T> out = zeros_like(row);
        tv.prox(row, tau, out);
        double err = 0;
        for (std::size_t j = 0; j < n; ++j) err = std::max(err, std::abs(double(out(0, j)) - double(exact[j])));
        INFO("iterations " << tv.last_prox_info().iterations << " rms bound " << tv.last_prox_info().rms_bound);
        CHECK(err <= tol);
        CHECK(tv.last_prox_info().converged);
        // transposed
        Image<T> col = xt::transpose(row);
        Image<T> oc = zeros_like(col);
        tv.reset_warm_start();
        tv.prox(col, tau, oc);
        err = 0;
        for (std::size_t j = 0; j < n; ++j) err = std::max(err, std::abs(double(oc(j, 0)) - double(exact[j])));
        CHECK(err <= tol);
    }
}

TEMPLATE_TEST_CASE("FGP TV prox in 2-D: optimality condition and the duality-gap certificate", "[functionals][tv]", float, double) {
    using T = TestType;
    const bool is_float = std::is_same_v<T, float>;
    const auto v = blocky_image<T>(24, 20, 7, 0.1);
    for (TvNorm norm : {TvNorm::isotropic, TvNorm::anisotropic}) {
        TotalVariation<T> tv(T(0.1), norm, {.max_iter = 20000, .tol = is_float ? 3e-4 : 1e-5});
        Image<T> p = zeros_like(v);
        tv.prox(v, T(1), p);
        INFO("iterations " << tv.last_prox_info().iterations << " rms bound " << tv.last_prox_info().rms_bound);
        CHECK(tv.last_prox_info().converged);
        CHECK(subgradient_violation(tv, v, T(1), p, 400, 3, 0.5) <= (is_float ? 1e-4 : 1e-6));
        // the gap's bound holds: a loose solve (30 iterations, a tolerance it cannot
        // reach) is within its certified RMS distance of the tight one
        TotalVariation<T> loose(T(0.1), norm, {.max_iter = 30, .tol = 1e-12, .check_every = 0});
        Image<T> q = zeros_like(v);
        loose.prox(v, T(1), q);
        const double rms = double(distance(p, q)) / std::sqrt(double(v.size()));
        CHECK(std::isfinite(loose.last_prox_info().rms_bound));
        CHECK(rms <= loose.last_prox_info().rms_bound * 1.001 + (is_float ? 1e-5 : 1e-9));
        CHECK(loose.last_prox_info().iterations == 30);
        CHECK_FALSE(loose.last_prox_info().converged);
        // tol = 0: the same 30 iterations, the same image (written without the gap
        // pass), and no certificate claimed
        TotalVariation<T> fixed(T(0.1), norm, {.max_iter = 30, .tol = 0, .check_every = 0});
        Image<T> u = zeros_like(v);
        fixed.prox(v, T(1), u);
        CHECK(double(xt::amax(xt::abs(u - q))()) <= (is_float ? 1e-6 : 1e-14));  // FMA contraction aside
        CHECK(fixed.last_prox_info().iterations == 30);
        CHECK(std::isinf(fixed.last_prox_info().rms_bound));
        CHECK_FALSE(fixed.last_prox_info().converged);
        // a perturbed answer fails the optimality check
        lincomb(T(0.9), p, T(0.1), v, q);  // 10% of the way back to v
        CHECK(subgradient_violation(tv, v, T(1), q, 400, 3, 0.5) > 1e-4);
    }
}

TEST_CASE("the duality-gap certificate never claims more than rounding allows", "[functionals][tv]") {
    // A tolerance near round-off: the computed gap of a 3x9x11 vectorial problem
    // once rounded to <= 0 and the prox claimed an RMS error of 0, while it was
    // 4e-10 from the solution. The bound must hold whatever it claims.
    std::mt19937 rng(5);
    std::normal_distribution<double> normal(0, 1);
    ImageStack<double> v({3, 9, 11});
    for (auto& e : v) e = normal(rng);
    for (TvNorm norm : {TvNorm::vectorial, TvNorm::isotropic, TvNorm::anisotropic}) {
        CAPTURE(to_string(norm));
        // the reference: far past convergence (FGP converges linearly on a problem this small)
        TotalVariation<double> exact(0.3, norm, {.max_iter = 300000, .tol = 0, .check_every = 0});
        ImageStack<double> ref = zeros_like(v);
        exact.prox(v, 1.0, ref);
        for (double tol : {1e-6, 1e-9, 1e-10, 1e-13}) {
            CAPTURE(tol);
            TotalVariation<double> tv(0.3, norm, {.max_iter = 100000, .tol = tol});
            ImageStack<double> out = zeros_like(v);
            tv.prox(v, 1.0, out);
            const auto& info = tv.last_prox_info();
            const double rms = double(distance(out, ref)) / std::sqrt(double(v.size()));
            INFO("claimed " << info.rms_bound << ", actual " << rms << ", iterations " << info.iterations);
            CHECK(info.rms_bound > 0);
            CHECK(rms <= info.rms_bound);
            CHECK(info.converged == (info.rms_bound <= tol));
        }
    }
}

TEMPLATE_TEST_CASE("TV prox on stacks: per channel, and vectorial coupling", "[functionals][tv]", float, double) {
    using T = TestType;
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-7;
    const TvProxParams tight{.max_iter = 20000, .tol = std::is_same_v<T, float> ? 3e-4 : 1e-8};
    const auto a = blocky_image<T>(16, 18, 1, 0.1), b = blocky_image<T>(16, 18, 2, 0.2);
    ImageStack<T> s({2, 16, 18});
    xt::view(s, 0) = a;
    xt::view(s, 1) = b;
    TotalVariation<T> tv(T(0.1), TvNorm::isotropic, tight);
    ImageStack<T> ps = zeros_like(s);
    tv.prox(s, T(1), ps);
    Image<T> pa = zeros_like(a), pb = zeros_like(b);
    TotalVariation<T>(T(0.1), TvNorm::isotropic, tight).prox(a, T(1), pa);
    TotalVariation<T>(T(0.1), TvNorm::isotropic, tight).prox(b, T(1), pb);
    CHECK(double(xt::amax(xt::abs(xt::view(ps, 0) - pa))()) <= tol);
    CHECK(double(xt::amax(xt::abs(xt::view(ps, 1) - pb))()) <= tol);
    // vectorial TV of three identical channels: TV_vec(x,x,x) = √3·TV(x), so the
    // prox is prox_{μ/√3·TV}(a) in every channel (the problem is symmetric and strictly convex)
    ImageStack<T> s3({3, 16, 18});
    for (std::size_t c = 0; c < 3; ++c) xt::view(s3, c) = a;
    TotalVariation<T> vec(T(0.1), TvNorm::vectorial, tight);
    ImageStack<T> p3 = zeros_like(s3);
    vec.prox(s3, T(1), p3);
    Image<T> ref = zeros_like(a);
    TotalVariation<T>(T(0.1 / std::sqrt(3.0)), TvNorm::isotropic, tight).prox(a, T(1), ref);
    for (std::size_t c = 0; c < 3; ++c) CHECK(double(xt::amax(xt::abs(xt::view(p3, c) - ref))()) <= tol);
    // and vectorial on a generic stack passes the optimality condition
    vec.prox(s, T(1), ps);
    CHECK(subgradient_violation(vec, s, T(1), ps, 300, 9, 0.5) <= (std::is_same_v<T, float> ? 1e-4 : 1e-6));
    // tol = 0 writes x(p) without the gap pass: the same image as a run of equal
    // length that certifies (a tolerance it cannot reach), also when out aliases v
    TotalVariation<T> fixed(T(0.1), TvNorm::vectorial, {.max_iter = 25, .tol = 0, .warm_start = false});
    TotalVariation<T> certified(T(0.1), TvNorm::vectorial, {.max_iter = 25, .tol = 1e-12, .warm_start = false});
    ImageStack<T> u = s, c = zeros_like(s);
    fixed.prox(u, T(1), u);
    certified.prox(s, T(1), c);
    CHECK(certified.last_prox_info().iterations == 25);
    CHECK(double(xt::amax(xt::abs(u - c))()) <= (std::is_same_v<T, float> ? 1e-6 : 1e-14));
}

TEMPLATE_TEST_CASE("TV prox warm start, aliasing and errors", "[functionals][tv]", float, double) {
    using T = TestType;
    const auto v = blocky_image<T>(32, 32, 11, 0.1);
    TotalVariation<T> tv(T(0.05), TvNorm::isotropic, {.max_iter = 2000, .tol = 1e-4});
    Image<T> p = zeros_like(v);
    tv.prox(v, T(1), p);
    const int cold = tv.last_prox_info().iterations;
    tv.prox(v, T(1), p);
    const int warm = tv.last_prox_info().iterations;
    CHECK(warm < cold);
    CHECK(warm <= tv.params().check_every);
    Image<T> q = v;
    tv.prox(q, T(1), q);  // in place
    CHECK(double(distance(p, q)) <= 1e-4 * std::sqrt(double(v.size())));
    CHECK_THROWS_WITH(TotalVariation<T>(T(0)), Catch::Contains("lambda"));
    CHECK_THROWS_WITH(TotalVariation<T>(T(-1)), Catch::Contains("lambda"));
    CHECK_THROWS_WITH(TotalVariation<T>(T(1), TvNorm::isotropic, {.max_iter = 0}), Catch::Contains("max_iter"));
    CHECK_THROWS_WITH(TotalVariation<T>(T(1), TvNorm::isotropic, {.tol = -1}), Catch::Contains("tol"));
    CHECK_THROWS_WITH(tv.prox(v, T(0), p), Catch::Contains("tau"));
    Image<T> wrong({31, 32});
    CHECK_THROWS_AS(tv.prox(v, T(1), wrong), ShapeError);
    Image<T> bad = v;
    bad(3, 3) = std::numeric_limits<T>::infinity();
    CHECK_THROWS_WITH(tv.prox(bad, T(1), p), Catch::Contains("'v'"));
}

TEMPLATE_TEST_CASE("TV prox with a weight below the smallest normal number is the identity, not NaN", "[functionals][tv]",
                   float, double) {
    // |prox(v) − v| ≤ 4τλ: for a subnormal τλ, v is the answer to rounding (FGP's step 1/(8τλ) would overflow)
    using T = TestType;
    const auto v = blocky_image<T>(16, 16, 5, 0.1);
    for (const auto norm : {TvNorm::isotropic, TvNorm::anisotropic}) {
        TotalVariation<T> tv(std::numeric_limits<T>::denorm_min(), norm);
        Image<T> p = zeros_like(v);
        tv.prox(v, T(1), p);
        CHECK(double(distance(p, v)) == 0.0);
        // the smallest normal weight still runs FGP and stays finite and within 4τλ of v
        TotalVariation<T> tv_normal(std::numeric_limits<T>::min(), norm);
        tv_normal.prox(v, T(1), p);
        for (std::size_t i = 0; i < v.size(); ++i) {
            REQUIRE(std::isfinite(p.data()[i]));
            CHECK(std::abs(double(p.data()[i]) - double(v.data()[i])) <= 1e-6 * (1 + std::abs(double(v.data()[i]))));
        }
    }
}

TEST_CASE("Tikhonov with the Neumann gradient: DCT closed form equals CG", "[functionals][tikhonov]") {
    const auto v = random_image<double>(20, 14, 4);
    ops::Gradient<double> D({20, 14});
    Tikhonov fast(D, 0.7);
    Tikhonov slow(D, 0.7, QuadraticProxParams{.cg_max_iter = 1000, .cg_tol = 1e-13, .use_spectrum = false});
    CHECK(fast.closed_form_prox());
    CHECK_FALSE(slow.closed_form_prox());
    Image<double> a = zeros_like(v), b = zeros_like(v);
    fast.prox(v, 2.0, a);
    slow.prox(v, 2.0, b);
    CHECK(distance(a, b) <= 1e-9 * norm(a));
    CHECK(*lipschitz_constant(fast) <= 0.7 * 8);
    CHECK(*lipschitz_constant(fast) >= 0.7 * 7.5);
}

TEST_CASE("TV prox reaches a ROF objective no worse than scikit-image's denoise_tv_chambolle", "[functionals][tv][peers]") {
    if (!lucid::test::python_has("skimage")) {
        WARN("skipped: python3-skimage is not installed");
        return;
    }
    // Weight convention: skimage's denoise_tv_chambolle(image, weight) runs Chambolle's (2004)
    // projection algorithm for min_u ‖u − f‖²/(2·weight) + TV(u), i.e.
    // min_u ½‖u − f‖² + weight·TV(u) with forward differences (np.diff), zero at the last
    // row/column (Neumann) and the isotropic norm — our prox with λτ = weight.
    const auto f = blocky_image<double>(64, 80, 21, 0.1);
    const auto in = lucid::test::scratch_dir() / "rof_in.npy";
    const auto out = lucid::test::scratch_dir() / "rof_out.npy";
    lucid::test::write_npy(in, f);
    for (double weight : {0.05, 0.2}) {
        lucid::test::run_python_code(
            "import sys, numpy as np\n"
            "from skimage.restoration import denoise_tv_chambolle\n"
            "f = np.load(sys.argv[1])\n"
            "u = denoise_tv_chambolle(f, weight=float(sys.argv[3]), eps=1e-6, max_num_iter=500)\n"
            "np.save(sys.argv[2], u)\n",
            {in.string(), out.string(), std::to_string(weight)});
        const xt::xarray<double> sk = lucid::test::read_npy<double>(out);
        Image<double> ski = sk;
        TotalVariation<double> tv(weight, TvNorm::isotropic, {.max_iter = 500, .tol = 1e-5});
        Image<double> ours = zeros_like(f);
        tv.prox(f, 1.0, ours);
        auto rof = [&](const Image<double>& u) { return 0.5 * std::pow(double(distance(u, f)), 2) + tv.value(u); };
        const double o_ours = rof(ours), o_sk = rof(ski);
        INFO("weight " << weight << ": ours " << o_ours << ", skimage " << o_sk);
        CHECK(o_ours <= o_sk + 1e-9 * o_sk);
        // both solve the same problem: the solutions agree to the accuracy of skimage's stopping rule
        CHECK(double(distance(ours, ski)) / std::sqrt(double(f.size())) <= 5e-3);
    }
}

TEMPLATE_TEST_CASE("the AVX2 FGP kernel (when the CPU has it) equals the portable kernel", "[functionals][tv][simd]", float, double) {
    using T = TestType;
    const auto v = blocky_image<T>(37, 53, 17, 0.1);  // widths that leave SIMD tails
    TotalVariation<T> tv(T(0.1), TvNorm::isotropic, {.max_iter = 100, .tol = 0, .check_every = 0, .warm_start = false});
    Image<T> a = zeros_like(v), b = zeros_like(v);
    tv.prox(v, T(1), a);
    detail::force_portable() = true;
    tv.prox(v, T(1), b);
    detail::force_portable() = false;
    if (!detail::use_avx2()) WARN("this CPU has no AVX2: both runs used the portable kernel");
    CHECK(double(xt::amax(xt::abs(a - b))()) <= (std::is_same_v<T, float> ? 1e-5 : 1e-12));
}

// FGP written from Beck & Teboulle's Algorithm FGP with whole-image operations
// (no fusion, no row pipeline, no first-iteration shortcut): the reference for
// the fused kernels. Dual p carried across calls like TotalVariation's warm start.
struct ReferenceFgp {
    std::size_t h, w;
    std::vector<double> p0, p1;
    ReferenceFgp(std::size_t h_, std::size_t w_) : h(h_), w(w_), p0(h_ * w_, 0.0), p1(h_ * w_, 0.0) {}
    // x = v − μ∇ᵀq with ∇ the Neumann forward differences
    std::vector<double> x_of(const Image<double>& v, const std::vector<double>& q0, const std::vector<double>& q1,
                             double mu) const {
        std::vector<double> x(h * w);
        for (std::size_t i = 0; i < h; ++i)
            for (std::size_t j = 0; j < w; ++j) {
                const std::size_t k = i * w + j;
                double gt = 0;  // (∇ᵀq)_k
                if (j + 1 < w) gt -= q0[k];
                if (j > 0) gt += q0[k - 1];
                if (i + 1 < h) gt -= q1[k];
                if (i > 0) gt += q1[k - w];
                x[k] = v(i, j) - mu * gt;
            }
        return x;
    }
    Image<double> run(const Image<double>& v, double mu, int iters, bool iso) {
        std::vector<double> r0 = p0, r1 = p1;
        double t = 1;
        for (int it = 0; it < iters; ++it) {
            const std::vector<double> x = x_of(v, r0, r1, mu);
            const double tn = (1 + std::sqrt(1 + 4 * t * t)) / 2, beta = (t - 1) / tn;
            for (std::size_t i = 0; i < h; ++i)
                for (std::size_t j = 0; j < w; ++j) {
                    const std::size_t k = i * w + j;
                    double q0 = j + 1 < w ? r0[k] + (x[k + 1] - x[k]) / (8 * mu) : 0.0;
                    double q1 = i + 1 < h ? r1[k] + (x[k + w] - x[k]) / (8 * mu) : 0.0;
                    if (iso) {
                        const double f = 1 / std::sqrt(std::max(1.0, q0 * q0 + q1 * q1));
                        q0 *= f;
                        q1 *= f;
                    } else {
                        q0 = std::clamp(q0, -1.0, 1.0);
                        q1 = std::clamp(q1, -1.0, 1.0);
                    }
                    r0[k] = q0 + beta * (q0 - p0[k]);
                    r1[k] = q1 + beta * (q1 - p1[k]);
                    p0[k] = q0;
                    p1[k] = q1;
                }
            t = tn;
        }
        const std::vector<double> x = x_of(v, p0, p1, mu);
        Image<double> out({h, w});
        std::copy(x.begin(), x.end(), out.begin());
        return out;
    }
};

TEST_CASE("FGP TV prox equals a whole-image reference FGP, cold and warm-started, both kernels", "[functionals][tv]") {
    const auto v1 = blocky_image<double>(29, 45, 5, 0.1);  // widths that leave SIMD tails
    const Image<double> v2 = v1 * 0.8 + 0.1;
    for (bool portable : {false, true})
        for (TvNorm norm : {TvNorm::isotropic, TvNorm::anisotropic})
            for (double tol : {0.0, 1e-12}) {
                INFO("portable " << portable << ", isotropic " << (norm == TvNorm::isotropic) << ", tol " << tol);
                detail::force_portable() = portable;
                TotalVariation<double> tv(0.15, norm, {.max_iter = 12, .tol = tol, .check_every = 0});
                ReferenceFgp ref(v1.shape()[0], v1.shape()[1]);
                Image<double> out = zeros_like(v1);
                for (const Image<double>* v : {&v1, &v2, &v1}) {  // the second and third calls start warm
                    tv.prox(*v, 1.0, out);
                    const Image<double> expect = ref.run(*v, 0.15, 12, norm == TvNorm::isotropic);
                    CHECK(double(xt::amax(xt::abs(out - expect))()) <= 1e-12);
                }
                detail::force_portable() = false;
            }
}

TEMPLATE_TEST_CASE("TotalVariation on 1-D signals is exact (Condat)", "[functionals][tv][tv1d]", float, double) {
    using T = TestType;
    VectorX<T> y(6);
    y << T(0), T(1), T(0), T(5), T(5), T(4);
    TotalVariation<T> tv(T(0.5));
    CHECK(double(tv.value(y)) == Approx(0.5 * (1 + 1 + 5 + 0 + 1)));
    VectorX<T> p(6), q(6);
    tv.prox(y, T(2), p);
    tv1d_prox(y, T(1), q);
    CHECK((p - q).norm() == 0);
    CHECK(prox_test(tv, y, T(2)).violation <= (std::is_same_v<T, float> ? 1e-4 : 1e-10));
    xt::xtensor<T, 1> s = {T(3), T(0), T(1)};
    xt::xtensor<T, 1> o = zeros_like(s);
    tv.prox(s, T(1), o);
    CHECK(double(o(0) - o(2)) >= 0);
}
