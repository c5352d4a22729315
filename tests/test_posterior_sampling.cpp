// Posterior sampling: Kadkhodaie–Simoncelli and DDPM/DiffPIR, checked on a
// Gaussian prior whose posterior is known in closed form, then with the
// learned CNN on a held-out photo.
#include <catch2/catch.hpp>

#include <random>

#include <Eigen/Dense>

#include "lucid/lucid.hpp"
#include "lucid/denoisers/cnn.hpp"
#include "lucid/ops/mask.hpp"
#include "lucid/ops/decimation.hpp"
#include "lucid/sampling/sampling.hpp"
#include "support/peers.hpp"

using namespace lucid;
using namespace lucid::sampling;

namespace {

/// The exact MMSE denoiser of the prior x ~ N(mu, s² I):
/// D(y, σ) = mu + s²/(s² + σ²)(y − mu). σ = 0 (blind) estimates σ² from the
/// sample variance of y: σ̂² = max(var(y) − s², 0).
template <class T>
struct GaussianPriorDenoiser {
    using scalar_type = T;
    double mu, s;
    void denoise(const Image<T>& y, T sigma, Image<T>& out) const {
        double var_noise = double(sigma) * sigma;
        if (sigma == T(0)) {
            double m = 0, m2 = 0;
            for (auto v : y) { m += v; m2 += double(v) * v; }
            m /= double(y.size());
            var_noise = std::max(m2 / double(y.size()) - m * m - s * s, 0.0);
        }
        const double g = s * s / (s * s + var_noise);
        for (std::size_t i = 0; i < y.size(); ++i) out.data()[i] = T(mu + g * (double(y.data()[i]) - mu));
    }
};

Image<double> random_mask(std::size_t h, std::size_t w, unsigned seed, double p) {
    std::mt19937 rng(seed);
    std::bernoulli_distribution b(p);
    Image<double> m({h, w});
    for (auto& v : m) v = b(rng) ? 1.0 : 0.0;
    return m;
}

struct MissingStats {
    double mean, sd, max_observed_error;
};

MissingStats missing_stats(const Image<double>& x, const Image<double>& mask, const Image<double>& y) {
    double m = 0, m2 = 0, n = 0, worst = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (mask.data()[i] == 0) {
            m += x.data()[i];
            m2 += x.data()[i] * x.data()[i];
            n += 1;
        } else {
            worst = std::max(worst, std::abs(x.data()[i] - y.data()[i]));
        }
    }
    m /= n;
    return {m, std::sqrt(m2 / n - m * m), worst};
}

}  // namespace

TEST_CASE("DDPM schedule of Ho et al.: closed forms", "[sampling][ddpm]") {
    DdpmSchedule s;  // T = 1000, beta 1e-4 .. 0.02
    CHECK(s.steps() == 1000);
    CHECK(s.alpha_bar[1] == Approx(1 - 1e-4));
    CHECK(s.alpha_bar[2] == Approx((1 - 1e-4) * (1 - (1e-4 + (0.02 - 1e-4) / 999))));
    // log ᾱ_T = Σ log(1 − β_t); ᾱ_T ≈ 4.0e-5 for this schedule
    double log_ab = 0;
    for (int t = 1; t <= 1000; ++t) log_ab += std::log(1 - (1e-4 + (0.02 - 1e-4) * (t - 1) / 999.0));
    CHECK(s.alpha_bar[1000] == Approx(std::exp(log_ab)).epsilon(1e-10));
    CHECK(s.alpha_bar[1000] == Approx(4.04e-5).epsilon(0.02));
    CHECK(s.sigma_bar(10) == Approx(std::sqrt((1 - s.alpha_bar[10]) / s.alpha_bar[10])));
    const int t = s.t_for_sigma(0.2);
    CHECK(s.sigma_bar(t) <= 0.2);
    CHECK(s.sigma_bar(t + 1) > 0.2);
    CHECK_THROWS_WITH(DdpmSchedule(1), Catch::Contains("'T'"));
    CHECK_THROWS_WITH(DdpmSchedule(100, 0.1, 0.01), Catch::Contains("'beta_T'"));
}

TEST_CASE("DataConsistency solves (AᵀA + ρI)x = Aᵀy + ρv (mask: closed form)", "[sampling]") {
    const auto m = random_mask(9, 11, 1, 0.5);
    ops::Mask<double> M(m);
    Image<double> y({9, 11}), v({9, 11}), x({9, 11});
    std::mt19937 rng(2);
    std::uniform_real_distribution<double> u(0, 1);
    for (auto& a : y) a = u(rng);
    for (auto& a : v) a = u(rng);
    y *= m;
    DataConsistency<ops::Mask<double>> dc(M, y, 50, 1e-12);
    dc.solve(v, 0.3, x);
    for (std::size_t i = 0; i < x.size(); ++i)
        CHECK(x.data()[i] == Approx((m.data()[i] * y.data()[i] + 0.3 * v.data()[i]) / (m.data()[i] + 0.3)));
    CHECK_THROWS_WITH(dc.solve(v, -1.0, x), Catch::Contains("'rho'"));
    // A NaN in y broke every CG solve down to δ = 0: the samplers ignored the data and
    // still reported convergence. Now refused up front, by both samplers too.
    Image<double> bad = y;
    bad(4, 5) = std::nan("");
    CHECK_THROWS_WITH((DataConsistency<ops::Mask<double>>(M, bad)), Catch::Contains("'y'") && Catch::Contains("finite"));
    GaussianPriorDenoiser<double> D{0.5, 0.1};
    CHECK_THROWS_WITH(kadkhodaie_simoncelli(D, M, bad, {.seed = 1}), Catch::Contains("'y'"));
    CHECK_THROWS_WITH(diffusion_posterior_sample(D, M, bad, {.steps = 4, .seed = 1}), Catch::Contains("'y'"));
}

namespace {

/// The dense matrix of a linear operator on images (columns A eᵢ), in double.
template <class Op>
Eigen::MatrixXd dense_matrix(const Op& A) {
    auto e = make_domain(A);
    auto col = make_range(A);
    Eigen::MatrixXd mat(Eigen::Index(col.size()), Eigen::Index(e.size()));
    for (std::size_t j = 0; j < e.size(); ++j) {
        set_zero(e);
        e.data()[j] = 1;
        A.apply(e, col);
        for (std::size_t i = 0; i < col.size(); ++i) mat(Eigen::Index(i), Eigen::Index(j)) = double(col.data()[i]);
    }
    return mat;
}

/// x = (AᵀA + ρI)⁻¹(Aᵀy + ρv) by Cholesky of the normal equations, in double.
template <class Y, class V>
Eigen::VectorXd normal_equation_solve(const Eigen::MatrixXd& A, const Y& y, const V& v, double rho) {
    const Eigen::Index n = A.cols();
    Eigen::VectorXd ye(Eigen::Index(y.size())), ve(n);
    for (std::size_t i = 0; i < y.size(); ++i) ye(Eigen::Index(i)) = double(y.data()[i]);
    for (std::size_t i = 0; i < v.size(); ++i) ve(Eigen::Index(i)) = double(v.data()[i]);
    const Eigen::MatrixXd N = A.transpose() * A + rho * Eigen::MatrixXd::Identity(n, n);
    return N.llt().solve(A.transpose() * ye + rho * ve);
}

template <class X>
double max_diff(const X& x, const Eigen::VectorXd& ref) {
    double d = 0;
    for (std::size_t i = 0; i < x.size(); ++i) d = std::max(d, std::abs(double(x.data()[i]) - ref(Eigen::Index(i))));
    return d;
}

template <class X1, class X2>
double max_diff_images(const X1& a, const X2& b) {
    double d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(double(a.data()[i]) - double(b.data()[i])));
    return d;
}

/// Uniform values in [0, 1] that float represents exactly (multiples of 2⁻¹²),
/// so float and double see one problem and the double brute force is its answer.
template <class X>
void fill_exact(X& x, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    for (auto& a : x) a = typename X::value_type(std::ldexp(std::round(std::ldexp(u(rng), 12)), -12));
}

template <class T>
Image<T> kernel_of(std::initializer_list<std::initializer_list<double>> rows, double scale) {
    Image<T> k({rows.size(), rows.begin()->size()});
    std::size_t i = 0;
    for (const auto& r : rows) {
        std::size_t j = 0;
        for (double v : r) k(i, j++) = T(v * scale);
        ++i;
    }
    return k;
}

/// Checks DataConsistency on op (closed form `expected`, tolerances by type)
/// against the brute-force normal equations and against a tight CG, for ρ
/// changing between calls and for x aliasing v.
template <class Op>
void check_data_consistency(const char* label, const Op& op, DataConsistencyMethod expected, double tol_brute,
                            double tol_cg) {
    using T = op_scalar_t<Op>;
    auto y = make_range(op);
    auto v = make_domain(op);
    fill_exact(y, 11);
    fill_exact(v, 12);
    const Eigen::MatrixXd mat = dense_matrix(op);
    // the reference CG: forced, tight, many iterations (dc uses the same settings when it has no closed form)
    const double cg_tol = std::is_same_v<T, float> ? 1e-7 : 1e-14;
    DataConsistency<Op> dc(op, y, 2000, cg_tol);
    REQUIRE(dc.method() == expected);
    CHECK(dc.closed_form() == (expected != DataConsistencyMethod::cg));
    DataConsistency<Op> cg(op, y, 2000, cg_tol, false);
    REQUIRE(cg.method() == DataConsistencyMethod::cg);  // closed forms turned off: CG whatever the operator
    for (double rho : {0.05, 1e-3, 0.05, 2.0}) {  // ρ changes: the symbol is rewritten in place
        INFO(label << (std::is_same_v<T, float> ? " float" : " double") << ", rho " << rho);
        auto x = make_domain(op), xc = make_domain(op);
        dc.solve(v, T(rho), x);
        cg.solve(v, T(rho), xc);
        const auto ref = normal_equation_solve(mat, y, v, rho);
        const double d_brute = max_diff(x, ref), d_cg = max_diff_images(x, xc), d_cg_brute = max_diff(xc, ref);
        CHECK(d_brute < tol_brute);
        CHECK(d_cg < tol_cg);
        CHECK(d_cg_brute < tol_cg);  // the reference CG itself converged
        auto xa = v;
        dc.solve(xa, T(rho), xa);  // x aliasing v
        CHECK(max_diff_images(xa, x) == 0.0);
    }
}

}  // namespace

TEMPLATE_TEST_CASE("DataConsistency: closed forms equal CG and the normal equations; other operators use CG",
                   "[sampling][data_consistency]", float, double) {
    using T = TestType;
    const bool is_float = std::is_same_v<T, float>;
    // Measured max|Δx| over ρ ∈ {0.05, 1e-3, 2}: closed form vs brute force ≤ 5e-14 (double),
    // ≤ 2.1e-6 (float); vs the tight CG ≤ 3.1e-14 / 1.5e-5 (float CG itself is off by 1.6e-5).
    const double tol_brute = is_float ? 1e-5 : 1e-12, tol_cg = is_float ? 1e-4 : 1e-11;
    const std::size_t h = 6, w = 7;  // odd width: the r2c half spectrum has no Nyquist column
    SECTION("periodic blur, kernel without symmetry (Fourier symbol, complex)") {
        // a symmetric kernel would hide a missing conj(Â)
        const auto k = kernel_of<T>({{1, 2, 0}, {3, 4, 1}, {0, 2, 3}}, 1.0 / 16);
        ops::Convolution<T> A(k, {h, w}, Boundary::periodic);
        check_data_consistency("periodic", A, DataConsistencyMethod::transform, tol_brute, tol_cg);
    }
    SECTION("periodic blur on a C×H×W stack (per-plane symbol)") {
        const auto k = kernel_of<T>({{1, 2, 0}, {3, 4, 1}, {0, 2, 3}}, 1.0 / 16);
        ops::Convolution<T, 3> A(k, {2, 5, 6}, Boundary::periodic);
        check_data_consistency("periodic 3-D", A, DataConsistencyMethod::transform, tol_brute, tol_cg);
    }
    SECTION("reflect blur, axis-symmetric non-separable kernel (cosine symbol)") {
        const auto k = kernel_of<T>({{1, 3, 1}, {2, 2, 2}, {1, 3, 1}}, 1.0 / 16);
        ops::Convolution<T> A(k, {h, w}, Boundary::reflect);
        check_data_consistency("reflect", A, DataConsistencyMethod::transform, tol_brute, tol_cg);
    }
    SECTION("reflect blur, separable symmetric kernel (factored cosine symbol)") {
        const auto k = kernel_of<T>({{1, 4, 6, 4, 1}, {2, 8, 12, 8, 2}, {1, 4, 6, 4, 1}}, 1.0 / 64);
        ops::Convolution<T> A(k, {h, w}, Boundary::reflect);
        check_data_consistency("reflect separable", A, DataConsistencyMethod::transform, tol_brute, tol_cg);
    }
    SECTION("mask (pointwise; the unobserved pixels keep v exactly)") {
        const auto md = random_mask(h, w, 13, 0.5);
        ops::Mask<T> M(Image<T>(xt::cast<T>(md)));
        check_data_consistency("mask", M, DataConsistencyMethod::pointwise, tol_brute, tol_cg);
        Image<T> y({h, w}), v({h, w}), x({h, w});
        fill_exact(y, 14);
        fill_exact(v, 15);
        DataConsistency<ops::Mask<T>> dc(M, y);
        dc.solve(v, T(1e-6), x);
        for (std::size_t i = 0; i < x.size(); ++i)
            if (md.data()[i] == 0) CHECK(x.data()[i] == v.data()[i]);
    }
    SECTION("zero-boundary blur has no symbol: CG, still the normal-equation solution") {
        const auto k = kernel_of<T>({{1, 2, 0}, {3, 4, 1}, {0, 2, 3}}, 1.0 / 16);
        ops::Convolution<T> A(k, {h, w}, Boundary::zero);
        REQUIRE_FALSE(A.spectrum().has_value());
        auto y = make_range(A);
        auto v = make_domain(A);
        fill_exact(y, 16);
        fill_exact(v, 17);
        const Eigen::MatrixXd mat = dense_matrix(A);
        DataConsistency<ops::Convolution<T>> dc(A, y, 500, is_float ? 1e-7 : 1e-14);
        CHECK(dc.method() == DataConsistencyMethod::cg);
        CHECK_FALSE(dc.closed_form());
        for (double rho : {0.05, 1e-3}) {
            INFO("zero" << (is_float ? " float" : " double") << ", rho " << rho);
            auto x = make_domain(A);
            dc.solve(v, T(rho), x);
            CHECK(max_diff(x, normal_equation_solve(mat, y, v, rho)) < tol_cg);
        }
    }
    SECTION("reflect blur with a kernel that is not axis-symmetric: CG") {
        const auto k = kernel_of<T>({{1, 2, 0}, {3, 4, 1}, {0, 2, 3}}, 1.0 / 16);
        ops::Convolution<T> A(k, {h, w}, Boundary::reflect);
        check_data_consistency("reflect asymmetric", A, DataConsistencyMethod::cg, tol_cg, tol_cg);
    }
}

TEST_CASE("DataConsistency closed form in float at small rho: the Wiener form keeps round-off bounded",
          "[sampling][data_consistency]") {
    // x = v + 𝒯⁻¹(conj(Â)/(|Â|² + ρ)·𝒯(y − Av)) amplifies round-off by at most
    // 1/(2√ρ); the algebraically equal 𝒯⁻¹((Aᵀy + ρv)/(|Â|² + ρ)) amplifies
    // that of Aᵀy by 1/ρ. Measured here at ρ = 1e-6, float vs double:
    // 2.3e-5 (periodic) and 2.6e-5 (reflect); the Aᵀy form gave 0.15 and 0.16.
    const std::size_t n = 32;
    const Image<float> kf = kernels::gaussian<float>(2.0);
    const Image<double> kd = xt::cast<double>(kf);  // the same operator in double
    Image<double> truth({n, n}), vd({n, n});
    fill_exact(truth, 21);
    fill_exact(vd, 22);
    for (Boundary b : {Boundary::periodic, Boundary::reflect}) {
        INFO("boundary " << int(b));
        ops::Convolution<double> Ad(kd, {n, n}, b);
        ops::Convolution<float> Af(kf, {n, n}, b);
        const Image<double> yd = Ad(truth);
        const Image<float> yf = xt::cast<float>(yd);
        const Image<double> yd_f = xt::cast<double>(yf);  // the data float sees
        const Image<float> vf = xt::cast<float>(vd);
        DataConsistency<ops::Convolution<double>> dcd(Ad, yd_f);
        DataConsistency<ops::Convolution<float>> dcf(Af, yf);
        REQUIRE(dcd.method() == DataConsistencyMethod::transform);
        REQUIRE(dcf.method() == DataConsistencyMethod::transform);
        const Eigen::MatrixXd mat = dense_matrix(Ad);
        for (double rho : {1e-6, 1e-3}) {
            INFO("rho " << rho);
            Image<double> xd({n, n});
            Image<float> xf({n, n});
            dcd.solve(vd, rho, xd);
            dcf.solve(vf, float(rho), xf);
            const double d_double = max_diff(xd, normal_equation_solve(mat, yd_f, vd, rho));
            const double d_float = max_diff_images(xf, xd);
            CHECK(d_double < 1e-8);
            CHECK(d_float < 5e-4);
        }
    }
}

TEST_CASE("Samplers on a periodic blur take the closed-form data step", "[sampling][data_consistency]") {
    // Gaussian prior, y = k ∗ x (periodic, no noise): the samples stay consistent with y.
    const double mu = 0.5, s = 0.1;
    const std::size_t n = 32;
    Image<double> truth({n, n});
    std::mt19937 rng(8);
    std::normal_distribution<double> nd(mu, s);
    for (auto& v : truth) v = nd(rng);
    ops::Convolution<double> A(kernels::gaussian<double>(1.5), {n, n}, Boundary::periodic);
    const Image<double> y = A(truth);
    REQUIRE(DataConsistency<ops::Convolution<double>>(A, y).method() == DataConsistencyMethod::transform);
    GaussianPriorDenoiser<double> D{mu, s};
    auto ks = kadkhodaie_simoncelli(D, A, y, {.rho = 1e-4, .seed = 1});
    auto dd = diffusion_posterior_sample(D, A, y, {.steps = 20, .noise_sigma = 0.0, .seed = 1});
    const double r_ks = distance(A(ks.x), y) / norm(y), r_dd = distance(A(dd.x), y) / norm(y);
    INFO("relative data residual: KS " << r_ks << ", DDPM " << r_dd);
    CHECK(ks.status == Status::converged);
    CHECK(dd.status == Status::converged);
    CHECK(r_ks < 1e-3);
    CHECK(r_dd < 1e-4);
}

TEST_CASE("sample_statistics: mean and unbiased standard deviation", "[sampling]") {
    std::vector<Image<double>> s = {Image<double>({1, 2}, 1.0), Image<double>({1, 2}, 3.0), Image<double>({1, 2}, 5.0)};
    s[2](0, 1) = 2.0;
    const auto st = sample_statistics(s);
    CHECK(st.mean(0, 0) == Approx(3.0));
    CHECK(st.stddev(0, 0) == Approx(2.0));
    CHECK(st.mean(0, 1) == Approx(2.0));
    CHECK(st.stddev(0, 1) == Approx(1.0));
    CHECK_THROWS_WITH(sample_statistics(std::vector<Image<double>>{}), Catch::Contains("'samples'"));
    // equal sizes, other shapes (a transposed sample): refused, not mixed pixel by index
    CHECK_THROWS_WITH(sample_statistics(std::vector<Image<double>>{Image<double>({2, 3}, 1.0), Image<double>({3, 2}, 2.0)}),
                      Catch::Contains("'samples'") && Catch::Contains("2x3"));
}

TEST_CASE("Kadkhodaie-Simoncelli samples a Gaussian-prior inpainting posterior", "[sampling][ks]") {
    // Prior N(0.5, 0.1²) i.i.d.; the posterior of the missing pixels is the prior.
    const double mu = 0.5, s = 0.1;
    const auto m = random_mask(64, 64, 3, 0.5);
    Image<double> truth({64, 64});
    std::mt19937 rng(4);
    std::normal_distribution<double> n(mu, s);
    for (auto& v : truth) v = n(rng);
    ops::Mask<double> M(m);
    const Image<double> y = M(truth);
    GaussianPriorDenoiser<double> D{mu, s};
    for (bool blind : {false, true}) {
        INFO("blind " << blind);
        auto r1 = kadkhodaie_simoncelli(D, M, y, {.rho = 1e-4, .blind = blind, .seed = 1});
        auto r2 = kadkhodaie_simoncelli(D, M, y, {.rho = 1e-4, .blind = blind, .seed = 2});
        auto r1b = kadkhodaie_simoncelli(D, M, y, {.rho = 1e-4, .blind = blind, .seed = 1});
        CHECK(r1.status == Status::converged);
        CHECK(r1.history.residual.back() <= 0.01);
        const auto st = missing_stats(r1.x, m, y);
        CHECK(st.mean == Approx(mu).margin(0.02));
        CHECK(st.sd > 0.7 * s);
        CHECK(st.sd < 1.3 * s);
        CHECK(st.max_observed_error < 0.01);              // consistent with the data
        CHECK(distance(r1.x, r2.x) > 0.5 * s * 45);        // seeds give different samples
        CHECK(distance(r1.x, r1b.x) == 0.0);               // one seed, one sample
    }
}

TEST_CASE("DDPM/DiffPIR sampling of a Gaussian-prior inpainting posterior", "[sampling][ddpm]") {
    const double mu = 0.5, s = 0.1;
    const auto m = random_mask(64, 64, 5, 0.5);
    Image<double> truth({64, 64});
    std::mt19937 rng(6);
    std::normal_distribution<double> n(mu, s);
    for (auto& v : truth) v = n(rng);
    ops::Mask<double> M(m);
    const Image<double> y = M(truth);
    GaussianPriorDenoiser<double> D{mu, s};
    auto r1 = diffusion_posterior_sample(D, M, y, {.steps = 40, .noise_sigma = 0.0, .seed = 1});
    auto r2 = diffusion_posterior_sample(D, M, y, {.steps = 40, .noise_sigma = 0.0, .seed = 2});
    CHECK(r1.status == Status::converged);
    CHECK(r1.iterations == 40);
    const auto st = missing_stats(r1.x, m, y);
    CHECK(st.mean == Approx(mu).margin(0.02));
    CHECK(st.sd > 0.6 * s);
    CHECK(st.sd < 1.3 * s);
    CHECK(st.max_observed_error < 1e-3);
    CHECK(distance(r1.x, r2.x) > 0.5 * s * 45);
    // η = 0 (DDIM): deterministic given the initial noise, but still a valid run
    auto d = diffusion_posterior_sample(D, M, y, {.steps = 20, .noise_sigma = 0.0, .eta = 0.0, .seed = 1});
    CHECK(d.status == Status::converged);
    CHECK_THROWS_WITH(diffusion_posterior_sample(D, M, y, {.eta = 2.0}), Catch::Contains("'eta'"));
    CHECK_THROWS_WITH(diffusion_posterior_sample(D, M, y, {.sigma_start = 1e-5}), Catch::Contains("'sigma_start'"));
    CHECK_THROWS_WITH(kadkhodaie_simoncelli(D, M, y, {.sigma_end = 1.0}), Catch::Contains("'sigma_end'"));
    CHECK_THROWS_WITH(kadkhodaie_simoncelli(D, M, y, {.beta = 0.0}), Catch::Contains("'beta'"));
}

TEST_CASE("Sampling with the learned CNN: inpainting and super-resolution of a held-out photo", "[sampling][cnn]") {
    // The weights are committed (data/models): loading them must succeed.
    const auto cnn = std::make_unique<denoisers::Cnn<float>>(denoisers::Cnn<float>::load_default());
    const auto full = io::read_gray<float>(test::source_path("data/camera.png"));
    Image<float> truth({64, 64});
    for (std::size_t i = 0; i < 64; ++i)
        for (std::size_t j = 0; j < 64; ++j) truth(i, j) = full(40 + i, 100 + j);
    // inpainting, 50% missing pixels
    Image<float> mf({64, 64});
    const auto md = random_mask(64, 64, 7, 0.5);
    std::copy(md.begin(), md.end(), mf.begin());
    ops::Mask<float> M(mf);
    const Image<float> y = M(truth);
    Image<float> gray_fill = y + (1.0f - mf) * 0.5f;
    const double p_fill = metrics::psnr(truth, gray_fill);
    auto ks = kadkhodaie_simoncelli(*cnn, M, y, {.rho = 1e-4, .blind = true, .seed = 1});
    auto dd = diffusion_posterior_sample(*cnn, M, y, {.steps = 40, .noise_sigma = 0.0, .seed = 1});
    const double p_ks = metrics::psnr(truth, ks.x), p_dd = metrics::psnr(truth, dd.x);
    INFO("fill " << p_fill << " dB, KS " << p_ks << " dB (" << ks.iterations << " it), DDPM " << p_dd << " dB");
    CHECK(p_ks > p_fill + 5);
    CHECK(p_dd > p_fill + 5);
    // without the plug-and-play warm start the truncated chain cannot fill the holes
    auto cold = diffusion_posterior_sample(*cnn, M, y, {.steps = 40, .noise_sigma = 0.0, .warm_start = 0, .seed = 1});
    CHECK(metrics::psnr(truth, cold.x) < p_dd - 2);
    CHECK(distance(M(ks.x), y) / norm(y) < 0.01);
    // super-resolution ×2 (block mean)
    ops::Decimation<float> S({64, 64}, 2);
    const auto ylow = S(truth);
    // A single sample's error is about twice the posterior mean's (E‖x − x*‖² =
    // ‖E x − x*‖² + tr Cov), so the check is on the mean of three samples.
    Image<float> mean({64, 64}, 0.0f);
    for (std::uint64_t seed : {2, 3, 4}) {
        auto sr = diffusion_posterior_sample(*cnn, S, ylow, {.steps = 40, .noise_sigma = 0.0, .seed = seed});
        CHECK(distance(S(sr.x), ylow) / norm(ylow) < 1e-3);
        axpy(1.0f / 3, sr.x, mean);
    }
    Image<float> up({64, 64});
    for (std::size_t i = 0; i < 64; ++i)
        for (std::size_t j = 0; j < 64; ++j) up(i, j) = ylow(i / 2, j / 2);
    INFO("SR: nearest " << metrics::psnr(truth, up) << " dB, mean of 3 DDPM samples " << metrics::psnr(truth, mean) << " dB");
    CHECK(metrics::psnr(truth, mean) > metrics::psnr(truth, up) + 1.0);
}
